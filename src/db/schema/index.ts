export * from "./cases.ts";
export * from "./contractor-keys.ts";
export * from "./inbox-events.ts";
export * from "./ledger-entries.ts";
export * from "./links.ts";
export * from "./outbox-jobs.ts";
export * from "./poll-cursors.ts";

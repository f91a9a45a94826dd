// Moved; import from ./jobs/backoff.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/backoff.ts";

// Moved; import from ./jobs/quick-retry.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/quick-retry.ts";

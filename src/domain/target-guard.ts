// Moved; import from ./jobs/target-guard.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/target-guard.ts";

// Moved; import from ./jobs/lifecycle.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/lifecycle.ts";

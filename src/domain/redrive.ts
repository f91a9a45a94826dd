// Moved; import from ./jobs/redrive.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/redrive.ts";

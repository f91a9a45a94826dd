// Moved; import from ./jobs/work-loop.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/work-loop.ts";

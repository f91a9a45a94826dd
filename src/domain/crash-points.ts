// Moved; import from ./jobs/crash-points.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/crash-points.ts";

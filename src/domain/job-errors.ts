// Moved; import from ./jobs/job-errors.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/job-errors.ts";

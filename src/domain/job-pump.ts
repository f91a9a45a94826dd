// Moved; import from ./jobs/job-pump.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/job-pump.ts";

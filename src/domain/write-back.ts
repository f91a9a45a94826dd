// Moved; import from ./jobs/write-back.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/write-back.ts";

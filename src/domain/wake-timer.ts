// Moved; import from ./jobs/wake-timer.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/wake-timer.ts";

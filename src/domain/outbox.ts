// Moved; import from ./jobs/store.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./jobs/store.ts";

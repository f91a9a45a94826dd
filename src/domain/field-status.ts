// Moved; import from ./field-status/apply-events.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./field-status/apply-events.ts";

// Moved; import from ./field-status/status-overrides.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./field-status/status-overrides.ts";

// Moved; import from ../kernel/status.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "../kernel/status.ts";

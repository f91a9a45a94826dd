// Moved; import from ../kernel/errors.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "../kernel/errors.ts";

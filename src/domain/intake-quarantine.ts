// Moved; import from ./intake/intake-quarantine.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./intake/intake-quarantine.ts";

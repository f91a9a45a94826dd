// Moved; import from ./intake/intake-health.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./intake/intake-health.ts";

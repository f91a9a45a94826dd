// Moved; import from ./intake/anti-entropy.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./intake/anti-entropy.ts";

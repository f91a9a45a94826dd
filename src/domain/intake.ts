// Moved; import from ./intake/ingest.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./intake/ingest.ts";

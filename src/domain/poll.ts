// Moved; import from ./intake/poll.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./intake/poll.ts";

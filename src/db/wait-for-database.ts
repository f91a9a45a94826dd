// Moved; import from ./wait-for-database-node.ts. (Temporary re-export, removed when issue 17 lands.)
export * from "./wait-for-database-node.ts";

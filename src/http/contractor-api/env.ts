/** Hono environment of the contractor API: what middleware puts in the context for handlers. */
export interface ContractorApiEnv {
  Variables: {
    /** The authenticated contractor. */
    targetId: string;
    requestId: string;
  };
}

/** Thrown inside a transaction when another worker took the job over: rolls the transaction back. */
export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`lease on job ${jobId} was lost to another worker`);
    this.name = "LeaseLostError";
  }
}

/**
 * Thrown before a call that may not be made now (open breaker, Retry-After, retry budget, a
 * cancel waiting for its create): the job goes back to pending without counting an attempt.
 */
export class DeferJobError extends Error {
  readonly untilMs: number;
  readonly reason: string;
  constructor(reason: string, untilMs: number) {
    super(`deferred: ${reason}`);
    this.name = "DeferJobError";
    this.reason = reason;
    this.untilMs = untilMs;
  }
}

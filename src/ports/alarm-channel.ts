/**
 * Where late-answer alarms go (issue: Helsinki's 2012 board statement asked for alarms for late
 * answers). One call per reconciliation run with the alarms it raised; an implementation retries
 * within the call and throws when the channel did not take them.
 */
export interface LateAnswerAlarm {
  level: "warning" | "breach";
  /** The reconciliation finding that holds it (one per level and work order). */
  findingId: number;
  caseId: string | null;
  target: string | null;
  /** The work order's reference (`<city>:<case>:<target>[:r<round>]`). */
  externalRef: string;
}

export interface AlarmChannel {
  send(alarms: readonly LateAnswerAlarm[]): Promise<void>;
}

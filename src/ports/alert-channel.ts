/** One alert going out: raised, or recovered. Ids, counts and codes only. */
export interface AlertNotice {
  event: "raised" | "recovered";
  id: number;
  key: string;
  kind: string;
  level: "critical" | "warning" | "info";
  message: string;
  at: string;
}

/** Where operational alerts reach people (e-mail, a signed webhook chat tools take). Throws when it did not take them. */
export interface AlertChannel {
  readonly name: string;
  send(notices: readonly AlertNotice[]): Promise<void>;
}

import { bigint, bigserial, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import type { ErrorClass, ErrorCode } from "../../kernel/errors.ts";
import { at } from "./columns.ts";

export type LedgerDirection = "source_in" | "target_out" | "target_in" | "source_out" | "internal";
export type LedgerOperation =
  | "intake"
  | "route"
  | "exclude"
  | "create_work_order"
  | "cancel_work_order"
  | "field_status"
  | "write_back"
  /** An approved photo written to the case (its outbox job's kind, like the three above). */
  | "publish_photo"
  | "park"
  | "reroute"
  /** A photo from the field: received (checked, cleaned, stored), reviewed by a handler, or published to the case. */
  | "photo"
  /** The case was linked as a duplicate of another (shares its work order) or unlinked from it. */
  | "merge"
  /** A new work cycle at the same target: the case was reopened, marked not fixed, or a handler asked for rework. */
  | "rework"
  /** Reconciliation opened a finding about the case. */
  | "reconcile"
  /** The case's field work missed an SLA clock. */
  | "sla_breach"
  /** A record from the case system could not be taken in and was quarantined (`source_quarantine`). */
  | "quarantine";

/**
 * What became of an operation: `ok`, an error class when it failed, or a verdict. A closed set,
 * so that the balance check and the console can rely on the words.
 */
export type LedgerOutcome =
  | "ok"
  | ErrorClass
  | "queued"
  | "requeued"
  | "redriven"
  | "replayed"
  | "skipped"
  | "parked"
  | "excluded"
  | "quarantined"
  | "stale"
  | "duplicate"
  | "finding"
  | "breach"
  /** A late-answer warning: the SLA's breach is near. */
  | "warning"
  /** The work order went by e-mail (the fallback channel) while its target could not take it. */
  | "fallback";

/**
 * Append-only record of every sync operation and its outcome. Ids, codes and hashes only:
 * never a citizen's personal data (payloads are represented by their SHA-256).
 */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: at("at").notNull().defaultNow(),
    caseId: text("case_id").notNull(),
    linkId: bigint("link_id", { mode: "number" }),
    target: text("target"),
    direction: text("direction").$type<LedgerDirection>().notNull(),
    operation: text("operation").$type<LedgerOperation>().notNull(),
    idempotencyKey: text("idempotency_key"),
    payloadHash: text("payload_hash"),
    /** ok, or the error class / verdict (transient, permanent, indeterminate, auth, rate_limited, unmapped, stale, duplicate, excluded, parked). */
    outcome: text("outcome").$type<LedgerOutcome>().notNull(),
    errorCode: text("error_code").$type<ErrorCode>(),
    httpStatus: integer("http_status"),
    latencyMs: integer("latency_ms"),
    attempt: integer("attempt"),
    /** A reason or status code; never free text from a citizen. */
    detail: text("detail"),
  },
  (t) => [
    index("ledger_entries_case_idx").on(t.caseId, t.at),
    // The balance check and the benchmarks look entries up per link and operation.
    index("ledger_entries_link_operation_idx").on(t.linkId, t.operation),
    // The console's charts read the last hour, day or week of deliveries.
    index("ledger_entries_at_idx").on(t.at),
  ],
);

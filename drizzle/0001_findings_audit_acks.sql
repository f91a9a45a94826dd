CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" text NOT NULL,
	"prev_hash" text,
	"hash" text
);
--> statement-breakpoint
CREATE TABLE "reconciliation_findings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"link_id" bigint,
	"case_id" text,
	"target" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"suggested_action" text NOT NULL,
	"auto_repairable" text DEFAULT 'no' NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"repair_attempts" integer DEFAULT 0 NOT NULL,
	"last_repair_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"acknowledged_by" text,
	"acknowledge_note" text,
	"acknowledged_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "outbox_jobs" ADD COLUMN "acknowledged_by" text;--> statement-breakpoint
ALTER TABLE "outbox_jobs" ADD COLUMN "acknowledge_note" text;--> statement-breakpoint
ALTER TABLE "outbox_jobs" ADD COLUMN "acknowledged_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "audit_events_subject_idx" ON "audit_events" USING btree ("subject");--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_findings_open_uq" ON "reconciliation_findings" USING btree ("kind","subject") WHERE "reconciliation_findings"."state" <> 'resolved';--> statement-breakpoint
CREATE INDEX "reconciliation_findings_state_idx" ON "reconciliation_findings" USING btree ("state","kind");
CREATE TABLE "cases" (
	"id" text PRIMARY KEY NOT NULL,
	"service_code" text NOT NULL,
	"status" text NOT NULL,
	"desk_status" text,
	"works_status" text,
	"source_updated_at" timestamp with time zone,
	"snapshot" jsonb NOT NULL,
	"snapshot_hash" text NOT NULL,
	"disposition" text NOT NULL,
	"disposition_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contractor_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"target" text NOT NULL,
	"key_hash" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "contractor_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "inbox_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"event_id" text NOT NULL,
	"body_hash" text NOT NULL,
	"external_ref" text NOT NULL,
	"work_order_id" text,
	"status_code" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"note" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"case_id" text NOT NULL,
	"link_id" bigint,
	"target" text,
	"direction" text NOT NULL,
	"operation" text NOT NULL,
	"idempotency_key" text,
	"payload_hash" text,
	"outcome" text NOT NULL,
	"error_code" text,
	"http_status" integer,
	"latency_ms" integer,
	"attempt" integer,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "links" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" text NOT NULL,
	"target" text NOT NULL,
	"round" integer DEFAULT 1 NOT NULL,
	"external_ref" text NOT NULL,
	"work_order_id" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"desired" text DEFAULT 'open' NOT NULL,
	"field_status" text DEFAULT 'pending' NOT NULL,
	"field_status_code" text,
	"field_status_at" timestamp with time zone,
	"written_back_status" text,
	"written_back_at" timestamp with time zone,
	"parked_code" text,
	"parked_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"link_id" bigint NOT NULL,
	"case_id" text NOT NULL,
	"target" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_error_code" text,
	"last_error" text,
	"last_http_status" integer,
	"first_attempt_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "poll_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"position" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cases_disposition_idx" ON "cases" USING btree ("disposition");--> statement-breakpoint
CREATE INDEX "contractor_keys_target_idx" ON "contractor_keys" USING btree ("target");--> statement-breakpoint
CREATE UNIQUE INDEX "inbox_events_source_event_uq" ON "inbox_events" USING btree ("source","event_id");--> statement-breakpoint
CREATE INDEX "inbox_events_state_idx" ON "inbox_events" USING btree ("state");--> statement-breakpoint
CREATE INDEX "ledger_entries_case_idx" ON "ledger_entries" USING btree ("case_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "links_case_target_round_uq" ON "links" USING btree ("case_id","target","round");--> statement-breakpoint
CREATE UNIQUE INDEX "links_external_ref_uq" ON "links" USING btree ("external_ref");--> statement-breakpoint
CREATE INDEX "links_target_state_idx" ON "links" USING btree ("target","state");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_jobs_dedupe_key_uq" ON "outbox_jobs" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "outbox_jobs_due_idx" ON "outbox_jobs" USING btree ("state","run_at");--> statement-breakpoint
CREATE INDEX "outbox_jobs_link_idx" ON "outbox_jobs" USING btree ("link_id");
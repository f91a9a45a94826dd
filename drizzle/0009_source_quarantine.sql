CREATE TABLE "source_quarantine" (
	"key" text PRIMARY KEY NOT NULL,
	"service_request_id" text,
	"reason" text NOT NULL,
	"row_hash" text,
	"state" text DEFAULT 'open' NOT NULL,
	"times_seen" integer DEFAULT 1 NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "source_quarantine_open_idx" ON "source_quarantine" USING btree ("last_seen_at") WHERE "source_quarantine"."state" = 'open';
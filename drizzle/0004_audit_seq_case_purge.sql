ALTER TABLE "audit_events" ADD COLUMN "seq" bigint;--> statement-breakpoint
-- Rows written before the chain was numbered take their order from id (their hash_version stays null).
UPDATE "audit_events" SET "seq" = numbered.n FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS n FROM "audit_events") AS numbered WHERE "audit_events"."id" = numbered."id";--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "hash_version" smallint;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "purged_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_seq_uq" ON "audit_events" USING btree ("seq");

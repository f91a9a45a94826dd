ALTER TABLE "cases" ADD COLUMN "duplicate_of" text;--> statement-breakpoint
CREATE INDEX "cases_duplicate_of_idx" ON "cases" USING btree ("duplicate_of") WHERE duplicate_of is not null;
CREATE INDEX "inbox_events_pending_idx" ON "inbox_events" USING btree ("occurred_at","id") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_jobs_pending_idx" ON "outbox_jobs" USING btree ("target","run_at","id") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_jobs_running_idx" ON "outbox_jobs" USING btree ("lease_until") WHERE state = 'running';
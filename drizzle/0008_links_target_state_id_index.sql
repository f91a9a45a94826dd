CREATE INDEX "links_target_state_id_idx" ON "links" USING btree ("target","state","id");--> statement-breakpoint
DROP INDEX "links_target_state_idx";
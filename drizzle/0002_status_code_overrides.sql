CREATE TABLE "status_code_overrides" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"target" text NOT NULL,
	"code" text NOT NULL,
	"canonical" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "status_code_overrides_target_code_uq" ON "status_code_overrides" USING btree ("target","code");
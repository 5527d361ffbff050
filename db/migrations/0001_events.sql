CREATE TABLE "events" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"type" varchar(32) NOT NULL,
	"anonymous_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"username" varchar(32),
	"occurred_at" timestamp(6) with time zone NOT NULL,
	"received_at" timestamp(6) with time zone NOT NULL,
	"client_created_at" timestamp(3) with time zone NOT NULL,
	"client_sent_at" timestamp(3) with time zone NOT NULL,
	"page_url" text NOT NULL,
	"referrer" text,
	"utm_source" varchar(200),
	"utm_medium" varchar(200),
	"utm_campaign" varchar(200),
	"utm_term" varchar(200),
	"utm_content" varchar(200),
	"viewport_width" integer,
	"viewport_height" integer,
	"ip_truncated" "inet",
	"user_agent" varchar(512),
	"properties" jsonb NOT NULL,
	"kafka_partition" integer NOT NULL,
	"kafka_offset" bigint NOT NULL,
	"ingested_at" timestamp(6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_occurred_at_idx" ON "events" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "events_session_seq_idx" ON "events" USING btree ("session_id","seq");--> statement-breakpoint
CREATE INDEX "events_ingested_at_idx" ON "events" USING btree ("ingested_at");
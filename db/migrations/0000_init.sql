CREATE TABLE "clickstream_data" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"username" varchar(32) NOT NULL,
	"creation_timestamp" timestamp(6) NOT NULL,
	"category" varchar(10),
	"gender" varchar(10),
	"style" varchar(20),
	"size" varchar(5),
	"hex_color" varchar(8),
	"kafka_partition" integer NOT NULL,
	"kafka_offset" bigint NOT NULL,
	"ingested_at" timestamp(6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "clickstream_data_username_created_idx" ON "clickstream_data" USING btree ("username","creation_timestamp");
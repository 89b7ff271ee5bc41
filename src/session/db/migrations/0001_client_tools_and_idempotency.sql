CREATE TABLE `idempotent_messages` (
	`caller` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`message_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`caller`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotent_messages_created_idx` ON `idempotent_messages` (`created_at`);--> statement-breakpoint
CREATE TABLE `pending_tool_calls` (
	`tool_call_id` text PRIMARY KEY NOT NULL,
	`turn_id` text NOT NULL,
	`name` text NOT NULL,
	`arguments` text NOT NULL,
	`answered` integer DEFAULT false NOT NULL,
	`result` text,
	`error` text
);
--> statement-breakpoint
ALTER TABLE `session` ADD `locale` text;--> statement-breakpoint
ALTER TABLE `session` ADD `capabilities` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `session` ADD `tools` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `session` ADD `parallel_tool_calls` integer;
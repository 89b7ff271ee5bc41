CREATE TABLE `active_turn` (
	`turn_id` text PRIMARY KEY NOT NULL,
	`input_message_id` text NOT NULL,
	`model_id` text,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `delta_cursors` (
	`id` text PRIMARY KEY NOT NULL,
	`sequence` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`sequence` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`ts` text NOT NULL,
	`turn_id` text,
	`input_message_id` text,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_unique` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_type_sequence_idx` ON `events` (`type`,`sequence`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`sequence` integer NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`controls` text,
	`metadata` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_sequence_unique` ON `messages` (`sequence`);--> statement-breakpoint
CREATE TABLE `queue` (
	`position` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_id` text NOT NULL,
	`model_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `queue_message_id_unique` ON `queue` (`message_id`);--> statement-breakpoint
CREATE TABLE `session` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`title` text,
	`tags` text NOT NULL,
	`model_id` text,
	`status` text NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	`deleted_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`indexed_version` integer DEFAULT 0 NOT NULL
);

DROP TABLE `events`;--> statement-breakpoint
DROP TABLE `messages`;--> statement-breakpoint
ALTER TABLE `sessions` ADD `index_version` integer DEFAULT 0 NOT NULL;
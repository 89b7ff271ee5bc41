ALTER TABLE `agents` ADD `tools` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `parallel_tool_calls` integer;--> statement-breakpoint
ALTER TABLE `sessions` ADD `locale` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `capabilities` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `tools` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `parallel_tool_calls` integer;
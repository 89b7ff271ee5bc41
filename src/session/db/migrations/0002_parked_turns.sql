ALTER TABLE `active_turn` ADD `iterations` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `active_turn` ADD `input_tokens` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `active_turn` ADD `output_tokens` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `active_turn` ADD `waiting_since` integer;--> statement-breakpoint
ALTER TABLE `active_turn` ADD `waited_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_tool_calls` ADD `position` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_tool_calls` ADD `executor` text DEFAULT 'client' NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_tool_calls` ADD `internal` integer DEFAULT false NOT NULL;
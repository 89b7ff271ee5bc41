CREATE TABLE `mcp_tool_lists` (
	`server_id` text PRIMARY KEY NOT NULL,
	`server_version` text NOT NULL,
	`turn_id` text NOT NULL,
	`fetched_at` integer NOT NULL,
	`tools` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tool_approval_rules` (
	`name` text PRIMARY KEY NOT NULL,
	`decision` text NOT NULL,
	`decided_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tool_approvals` (
	`tool_call_id` text PRIMARY KEY NOT NULL,
	`turn_id` text NOT NULL,
	`name` text NOT NULL,
	`requested_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decision` text,
	`decided_by` text,
	`reason` text,
	`decided_at` integer
);
--> statement-breakpoint
ALTER TABLE `pending_tool_calls` ADD `error_code` text;--> statement-breakpoint
ALTER TABLE `pending_tool_calls` ADD `approval` text;
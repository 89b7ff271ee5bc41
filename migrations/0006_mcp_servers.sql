CREATE TABLE `mcp_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`headers_encrypted` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mcp_servers_org_name_unique` ON `mcp_servers` (`org_id`,`name`);--> statement-breakpoint
CREATE INDEX `mcp_servers_org_created_idx` ON `mcp_servers` (`org_id`,`created_at`);
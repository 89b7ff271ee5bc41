-- A provider names each of its models once. Rows that broke this before the index existed (the
-- race it closes) are merged into the oldest row of each (provider_id, model_id), ids being
-- time-ordered: agents that named a later copy name the oldest, a later copy that was the org's
-- default passes that on (marked 2 meanwhile, outside the one-default index), then the later copies
-- go. Sessions and messages keep their model ids in their own objects; a removed copy they name
-- is skipped by model resolution like any deleted model (docs/PROVIDERS.md).
UPDATE `agents` SET `default_model_id` = (
	SELECT MIN(`keep`.`id`) FROM `llm_models` AS `keep` JOIN `llm_models` AS `copy`
		ON `keep`.`provider_id` = `copy`.`provider_id` AND `keep`.`model_id` = `copy`.`model_id`
	WHERE `copy`.`id` = `agents`.`default_model_id`
) WHERE `default_model_id` IN (
	SELECT `copy`.`id` FROM `llm_models` AS `copy` WHERE EXISTS (
		SELECT 1 FROM `llm_models` AS `older`
		WHERE `older`.`provider_id` = `copy`.`provider_id` AND `older`.`model_id` = `copy`.`model_id` AND `older`.`id` < `copy`.`id`
	)
);--> statement-breakpoint
UPDATE `llm_models` SET `is_default` = 2 WHERE NOT EXISTS (
	SELECT 1 FROM `llm_models` AS `older`
	WHERE `older`.`provider_id` = `llm_models`.`provider_id` AND `older`.`model_id` = `llm_models`.`model_id` AND `older`.`id` < `llm_models`.`id`
) AND EXISTS (
	SELECT 1 FROM `llm_models` AS `copy`
	WHERE `copy`.`provider_id` = `llm_models`.`provider_id` AND `copy`.`model_id` = `llm_models`.`model_id` AND `copy`.`id` > `llm_models`.`id` AND `copy`.`is_default` = 1
);--> statement-breakpoint
DELETE FROM `llm_models` WHERE EXISTS (
	SELECT 1 FROM `llm_models` AS `older`
	WHERE `older`.`provider_id` = `llm_models`.`provider_id` AND `older`.`model_id` = `llm_models`.`model_id` AND `older`.`id` < `llm_models`.`id`
);--> statement-breakpoint
UPDATE `llm_models` SET `is_default` = 1 WHERE `is_default` = 2;--> statement-breakpoint
CREATE UNIQUE INDEX `llm_models_provider_model_unique` ON `llm_models` (`provider_id`,`model_id`);

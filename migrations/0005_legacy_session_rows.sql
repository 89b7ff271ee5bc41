-- Sessions from before their data moved into their own objects (migration 0001 dropped their
-- events and messages from D1): their index rows are the only thing left of them, and no object
-- holds them, so every call but the list answered session_not_found and they could not be deleted.
-- The objects write index rows with their record's version, 1 or more; 0 is only ever a row
-- 0001 found. Export the D1 database first (`wrangler d1 export`) if those sessions matter.
DELETE FROM `sessions` WHERE `index_version` = 0;

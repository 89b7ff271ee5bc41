-- A delta's id now carries the sequence it follows (src/session/delta-ids.ts): no row per delta.
-- Delta ids handed out before this migration no longer resolve (400 invalid_cursor); the project is unreleased.
DROP TABLE `delta_cursors`;

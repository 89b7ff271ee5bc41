/**
 * Bench only: fills a session object's event log up to a given size in one statement, for the
 * "resume at 10,000 events" scenario (seeding through real turns would take minutes). Rows are
 * shaped like stored events: an event id, a stored type, a timestamp, a turn id and ~400 bytes
 * of JSON data. Written against src/session/db/schema.ts (`events`).
 */
const SEED_SQL = `
  WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
  INSERT INTO events (sequence, id, type, ts, turn_id, input_message_id, data)
  SELECT i,
         'event_' || lower(hex(randomblob(16))),
         CASE i % 5 WHEN 0 THEN 'message.created' WHEN 1 THEN 'turn.started' WHEN 2 THEN 'message.created'
                    WHEN 3 THEN 'turn.completed' ELSE 'session.completed' END,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
         'turn_' || lower(hex(randomblob(16))),
         NULL,
         json_object('bench_seed', i, 'text', lower(hex(randomblob(175))))
  FROM n`;

/** Appends events after the current head up to `total`; returns the ids at `sequences`. */
export function seedEvents(sql: SqlStorage, total: number, sequences: number[]): Record<string, string> {
  const head = sql.exec<{ head: number | null }>("SELECT max(sequence) AS head FROM events").one().head ?? 0;
  if (head < total) sql.exec(SEED_SQL, head + 1, total);
  const ids: Record<string, string> = {};
  for (const sequence of sequences) {
    ids[sequence] = sql.exec<{ id: string }>("SELECT id FROM events WHERE sequence = ?", sequence).one().id;
  }
  return ids;
}

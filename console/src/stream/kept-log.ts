import { dropKept, readKept, writeKept } from "../api/kept";
import type { EventEnvelope } from "../api/types";
import { EMPTY_LOG, type SessionLog } from "../chat/session-log";

/** What is kept of a session between reloads: its stored events and first-token times. */
interface KeptLog {
  v: 1;
  events: EventEnvelope[];
  firstTokenAt: Record<string, string>;
}

const key = (sessionId: string) => `session:${sessionId}`;

/** The session's kept log, resumed after its last event; null when nothing usable was kept. */
export function keptLog(sessionId: string): SessionLog | null {
  const kept = readKept<KeptLog>(key(sessionId));
  if (kept?.v !== 1 || !Array.isArray(kept.events)) return null;
  const last = kept.events.at(-1);
  return { ...EMPTY_LOG, events: kept.events, lastSequence: last?.sequence ?? 0, firstTokenAt: kept.firstTokenAt ?? {} };
}

/**
 * Keeps the log for a reload. When the browser refuses it (a very long session over the storage
 * quota), nothing is kept and a reload reads the history from the API again.
 */
export function keepLog(sessionId: string, log: SessionLog): void {
  if (log.events.length === 0) {
    dropKept(key(sessionId));
    return;
  }
  writeKept(key(sessionId), { v: 1, events: log.events, firstTokenAt: log.firstTokenAt } satisfies KeptLog);
}

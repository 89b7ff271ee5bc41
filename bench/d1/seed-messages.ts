/**
 * Bench only: fills a session with a history of stored messages (user questions and answers,
 * every other turn a tool call and its result), written through the object's own event log and
 * message store, for "a turn's first delta on a session of 2,000 messages". The bench evicts the
 * object afterwards, so it starts again and reads its new head.
 */
import { openSessionDb } from "../../src/session/db/client";
import { EventLog } from "../../src/session/event-log";
import { type NewMessage, storeMessages } from "../../src/session/message-store";

const SENTENCE = "The quarterly figures for the northern region were reviewed line by line, and the team agreed on the next steps.";

/** Adds about `total` messages after what the session holds; returns how many it wrote. */
export function seedMessages(storage: DurableObjectStorage, sessionId: string, total: number): number {
  const db = openSessionDb(storage);
  const log = new EventLog(db, storage, sessionId, () => undefined);
  let written = 0;
  for (let i = 0; written < total; i += 1) {
    const input: NewMessage = {
      id: `message_bench${crypto.randomUUID().replaceAll("-", "")}`,
      role: "user",
      content: [{ type: "text", text: `Question ${i}: ${SENTENCE}` }],
    };
    const context = { turn_id: `turn_bench_${i}`, input_message_id: input.id ?? null };
    const meta = { ...context };
    const turn: NewMessage[] = [input];
    if (i % 2 === 0) {
      turn.push({
        role: "agent",
        content: [{ type: "tool_call", id: `call_bench_${i}`, name: "get_current_time", arguments: {} }],
        metadata: meta,
      });
      turn.push({
        role: "tool_result",
        content: [{ type: "tool_result", tool_call_id: `call_bench_${i}`, result: { time: "12:00" }, error: null }],
        metadata: meta,
      });
    }
    turn.push({ role: "agent", content: [{ type: "text", text: `Answer ${i}: ${SENTENCE}` }], metadata: meta });
    storeMessages(db, log, sessionId, context, turn);
    written += turn.length;
  }
  return written;
}

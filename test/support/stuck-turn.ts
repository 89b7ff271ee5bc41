import { vi } from "vitest";
import { EventLog } from "../../src/session/event-log";
import type { EventDraft } from "../../src/session/event-types";
import { sleep } from "./async";
import { sendMessage } from "./resources";
import { turnSetup } from "./sessions";

/** Whether a draft stores an agent message (the model's reply). */
function isAgentReply(draft: EventDraft): boolean {
  if (draft.type !== "message.created" || typeof draft.data !== "function") return false;
  const message = draft.data(0)["message"] as { role?: string } | undefined;
  return message?.role === "agent";
}

/**
 * Makes every turn hang while storing the model's reply, in a way no abort signal reaches: work
 * that ignores its signal, which the session must end anyway. Restored by vi.restoreAllMocks.
 * (Session objects run in the tests' isolate and share this module's EventLog class.)
 */
export function hangReplyWrites(): { reached: () => Promise<void> } {
  const append = EventLog.prototype.append;
  let hanging = false;
  vi.spyOn(EventLog.prototype, "append").mockImplementation(function (this: EventLog, drafts, statements) {
    if (!drafts.some(isAgentReply)) return append.call(this, drafts, statements);
    hanging = true;
    return new Promise(() => undefined);
  });
  // Polled, not a promise the object resolves: a promise settled in the object's I/O context
  // would carry the test's next requests into that context.
  const reached = async () => {
    for (let i = 0; i < 400 && !hanging; i += 1) await sleep(10);
    if (!hanging) throw new Error("the reply write was never reached");
  };
  return { reached };
}

/** A session with an open stream whose first turn is stuck storing its reply. */
export async function startStuckTurn() {
  const { t, session, reader } = await turnSetup();
  const hang = hangReplyWrites();
  await sendMessage(t, session.id, "hello");
  await hang.reached();
  return { t, session, reader };
}

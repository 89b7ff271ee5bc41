import { DrizzleD1Database } from "drizzle-orm/d1";
import { vi } from "vitest";
import { sleep } from "./async";
import { sendMessage } from "./resources";
import { turnSetup } from "./sessions";

/**
 * Makes the next turns hang on their control-plane read (the one D1 batch a turn makes before
 * calling the model), in a way no abort signal reaches: a D1 call that never answers is work
 * that ignores its signal, which the session must end anyway. Restored by vi.restoreAllMocks.
 * (Session objects run in the tests' isolate and share drizzle's D1 class.)
 */
function hangTurnReads(): { reached: () => Promise<void>; reads: () => number } {
  let hanging = false;
  let reads = 0;
  vi.spyOn(DrizzleD1Database.prototype, "batch").mockImplementation(() => {
    hanging = true;
    reads += 1;
    return new Promise(() => undefined);
  });
  // Polled, not a promise the object resolves: a promise settled in the object's I/O context
  // would carry the test's next requests into that context.
  const reached = async () => {
    for (let i = 0; i < 400 && !hanging; i += 1) await sleep(10);
    if (!hanging) throw new Error("the turn's read was never reached");
  };
  return { reached, reads: () => reads };
}

/** A session with an open stream whose first turn is stuck on its control-plane read. */
export async function startStuckTurn() {
  const { t, session, reader } = await turnSetup();
  const hang = hangTurnReads();
  await sendMessage(t, session.id, "hello");
  await hang.reached();
  return { t, session, reader, turnReads: hang.reads };
}

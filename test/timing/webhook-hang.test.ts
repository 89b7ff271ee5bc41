import { describe, expect, it } from "vitest";
import { isEnd } from "../support/events";
import { callAs } from "../support/requests";
import { createAgent, createSession, sendMessage } from "../support/resources";
import { openStream, SseReader } from "../support/sse-reader";
import { newTenant, type Tenant } from "../support/tenants";
import { createReceiverWebhook, receivedUntil } from "../support/webhooks";

// Runs in the "timing" project: llmsim unpaced, so a turn takes milliseconds and a wait on the
// receiver (which never answers; the consumer gives up after 10 s) would stand out.

const TURNS = 6;

/** Milliseconds from sending a message to its session.completed on the session's stream. */
async function timedTurn(t: Tenant, sessionId: string, reader: SseReader): Promise<number> {
  const started = performance.now();
  await sendMessage(t, sessionId, "hello");
  await reader.collectUntil(isEnd, 10_000);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe("a hanging webhook receiver", () => {
  it("does not slow a turn: session.completed arrives as fast as with no webhook", async () => {
    const hooked = await newTenant();
    const plain = await newTenant();
    const hook = await createReceiverWebhook(hooked, { query: "hang=1" });
    const setups = await Promise.all(
      [hooked, plain].map(async (t) => {
        const session = await createSession(t, (await createAgent(t)).id);
        return { t, session, reader: new SseReader(await openStream(t, session.id)) };
      }),
    );
    const [withHook, without] = setups;
    if (!withHook || !without) throw new Error("setup");
    const timings = { withHook: [] as number[], without: [] as number[] };
    // Interleaved, so a change in the machine's load falls on both alike.
    for (let i = 0; i < TURNS; i += 1) {
      timings.without.push(await timedTurn(without.t, without.session.id, without.reader));
      timings.withHook.push(await timedTurn(withHook.t, withHook.session.id, withHook.reader));
    }
    await Promise.all(setups.map((s) => s.reader.cancel()));

    // The receiver did get the events, and never answered them.
    const got = await receivedUntil(hook.name, (d) => d.length >= 1);
    expect(got.every((d) => d.status === 0)).toBe(true);
    // Waiting on the receiver would cost 10 s (the delivery timeout) per turn.
    expect(Math.max(...timings.withHook)).toBeLessThan(2_000);
    expect(median(timings.withHook), JSON.stringify(timings)).toBeLessThan(median(timings.without) * 1.5 + 50);
    // No retry of the hanging deliveries outlives the test.
    await callAs(hooked, `/v1/webhooks/${hook.webhook.id}`, { method: "DELETE" }).then((r) => r.body?.cancel());
  }, 30_000);
});

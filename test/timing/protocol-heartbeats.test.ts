import type { UIMessageChunk } from "ai";
import { describe, expect, it } from "vitest";
import { agUiAgent, run, say, type Wire } from "../support/ag-ui";
import { chatTransport, readChunks, rebuild, textOf, userMessage } from "../support/ai-sdk";
import { settledEvents } from "../support/events";
import { scenarioBase } from "../support/models";
import { callAs } from "../support/requests";
import { sessionSetup } from "../support/sessions";

/** The reply the session stored last. */
async function storedText(t: Parameters<typeof settledEvents>[0], sessionId: string, turns: number): Promise<string> {
  const events = await settledEvents(t, sessionId, turns);
  const message = events.filter((e) => e.type === "message.created").at(-1)?.data["message"] as {
    content: { type: string; text?: string }[];
  };
  return message.content.map((p) => p.text ?? "").join("");
}

// A slow reply (the fake provider's slow_text: 20 words, 50 ms apart) with heartbeats every 100 ms.
describe("heartbeats on the client protocols' streams", () => {
  it("keeps a quiet UI message stream alive with comments the AI SDK's parser skips", async () => {
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "slow_text") } });
    const raw = await callAs(t, "/v1/chat", {
      method: "POST",
      json: { id: session.id, messages: [userMessage("slowly")], trigger: "submit-message" },
    });
    expect(await raw.text()).toContain(": heartbeat\n\n");

    const chunks: UIMessageChunk[] = await readChunks(
      await chatTransport(t).sendMessages({
        chatId: session.id,
        messages: [userMessage("slowly again")],
        trigger: "submit-message",
        messageId: undefined,
        abortSignal: undefined,
      }),
    );
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    expect(textOf(await rebuild(chunks))).toBe(await storedText(t, session.id, 2));
  });

  it("keeps a quiet AG-UI stream alive with comments HttpAgent skips", async () => {
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "slow_text") } });
    const raw = await callAs(t, `/v1/sessions/${session.id}/ag-ui`, {
      method: "POST",
      json: { threadId: session.id, runId: "r1", messages: [{ id: "m1", role: "user", content: "slowly" }] },
    });
    expect(await raw.text()).toContain(": heartbeat\n\n");

    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    say(agent, "slowly again");
    const { error, types } = await run(agent);
    expect(error).toBeNull();
    expect(types.at(-1)).toBe("RUN_FINISHED");
    expect(agent.messages.filter((m) => m.role === "assistant").at(-1)?.content).toBe(await storedText(t, session.id, 2));
  });
});

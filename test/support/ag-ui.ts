import { exports } from "cloudflare:workers";
import { HttpAgent, type RunAgentParameters } from "@ag-ui/client";
import type { BaseEvent } from "@ag-ui/core";
import { EventSchemas } from "@ag-ui/core/schemas";
import { expect } from "vitest";
import type { Caller } from "./requests";

/** The raw SSE events of every response the agent read, parsed from the wire. */
export type Wire = Record<string, unknown>[];

/** An HttpAgent on the session's AG-UI endpoint, whose fetch hands requests to the Worker in this process and keeps each response's raw frames. */
export function agUiAgent(caller: Caller, sessionId: string, wire: Wire): HttpAgent {
  return new HttpAgent({
    url: `http://api.test/v1/sessions/${sessionId}/ag-ui`,
    headers: caller.headers,
    threadId: sessionId,
    fetch: async (input, init) => {
      const res = await exports.default.fetch(new Request(input, init));
      const copy = res.clone();
      wire.push(...parseFrames(await copy.text()));
      return res;
    },
  });
}

export function parseFrames(text: string): Record<string, unknown>[] {
  return text
    .split("\n\n")
    .map((frame) => frame.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
}

/** Runs the agent (HttpAgent verifies the event order itself) and returns the events it saw, each checked against @ag-ui/core's schemas. */
export async function run(agent: HttpAgent, parameters: RunAgentParameters = {}) {
  const events: BaseEvent[] = [];
  let error: unknown = null;
  try {
    await agent.runAgent(parameters, { onEvent: ({ event }) => void events.push(event) });
  } catch (err) {
    error = err;
  }
  for (const event of events) expect(EventSchemas.safeParse(event).success, JSON.stringify(event)).toBe(true);
  return { events, error, types: events.map((e) => e.type) };
}

export function say(agent: HttpAgent, text: string, id: string = crypto.randomUUID()) {
  agent.addMessage({ id, role: "user", content: text });
}

/** Every raw frame valid under @ag-ui/core's event schema. */
export function expectValidWire(wire: Wire) {
  expect(wire.length).toBeGreaterThan(0);
  for (const event of wire) expect(EventSchemas.safeParse(event).success, JSON.stringify(event)).toBe(true);
}

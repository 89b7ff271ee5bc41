import { describe, expect, it } from "vitest";
import { refusalError } from "../../src/services/session-client";
import type { Refusal } from "../../src/session/rpc";
import { readSubscription, refuseSubscription, type Subscription, subscriptionRequest } from "../../src/session/subscription";

const meta = { sessionId: "session_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", orgId: "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" };
const byToken = { userId: "user_1", apiKeyId: null, expiresAt: null };

describe("a subscription's trip from the Worker to the session object", () => {
  it("reads back what the Worker asked for: session, org, mode, caller, cursor, filters and the offered subprotocol", () => {
    const sent: Subscription = {
      meta,
      cursor: { id: "event_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", path: "header.last-event-id" },
      mode: "client",
      caller: "key_1",
      types: ["message.created", "output.message.delta"],
      exclude: ["tool.call"],
      protocols: "everruns.v1, bearer.evr_secret",
      credential: { userId: "user_1", apiKeyId: "key_1", expiresAt: 1_900_000_000_000 },
    };
    const request = subscriptionRequest(sent);
    expect(request.headers.get("upgrade")).toBe("websocket");
    const read = readSubscription(request);
    expect(read.meta).toEqual(meta);
    expect(read.cursor).toEqual(sent.cursor);
    expect(read.mode).toBe("client");
    expect(read.caller).toBe("key_1");
    expect(read.filter).toEqual({ types: [{ type: "message.created" }, { type: "message.delta" }], exclude: [{ type: "tool.call" }] });
    expect(read.protocol).toBe("everruns.v1");
    expect(read.credential).toEqual(sent.credential);
  });

  it("carries a sequence cursor, no cursor, no filter and no subprotocol as such", () => {
    const bySequence = readSubscription(
      subscriptionRequest({
        meta,
        cursor: { sequence: 7, path: "query.after_sequence" },
        mode: "relay",
        caller: "user_1",
        credential: byToken,
      }),
    );
    expect(bySequence.credential).toEqual(byToken);
    expect(bySequence.cursor).toEqual({ sequence: 7, path: "query.after_sequence" });
    expect(bySequence.mode).toBe("relay");
    expect(bySequence.filter).toEqual({ types: null, exclude: [] });
    expect(bySequence.protocol).toBeNull();
    expect(
      readSubscription(
        subscriptionRequest({ meta, cursor: null, mode: "relay", caller: "user_1", protocols: "bearer.x", credential: byToken }),
      ).cursor,
    ).toBeNull();
  });
});

describe("refusals of the session object", () => {
  const cases: [Refusal, number, string, string[] | undefined][] = [
    [{ refused: "session_not_found" }, 404, "session_not_found", undefined],
    [{ refused: "invalid_cursor", path: "query.since_id" }, 400, "invalid_cursor", ["query.since_id"]],
    [{ refused: "not_waiting_for_tool_results" }, 409, "not_waiting_for_tool_results", undefined],
    [
      { refused: "unknown_tool_call", indexes: [1, 3] },
      422,
      "unknown_tool_call",
      ["body.tool_results.1.tool_call_id", "body.tool_results.3.tool_call_id"],
    ],
    [{ refused: "tool_call_already_answered", indexes: [0] }, 409, "tool_call_already_answered", ["body.tool_results.0.tool_call_id"]],
    [{ refused: "idempotency_key_reused" }, 422, "idempotency_key_reused", ["header.idempotency-key"]],
    [{ refused: "too_many_streams", cap: "caller" }, 429, "too_many_streams", undefined],
    [{ refused: "unauthorized" }, 401, "unauthorized", undefined],
  ];

  it.each(cases)("%o is the catalogue's %i %s, naming the fields at fault", (refusal, status, code, paths) => {
    const error = refusalError(refusal);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.errors?.map((e) => e.path)).toEqual(paths);
  });

  it("tells a caller refused for too many streams when to come back", () => {
    expect(refusalError({ refused: "too_many_streams", cap: "session" }).retryAfterSeconds).toBe(5);
  });

  it("answers a refused upgrade with the refusal as JSON and a status that says the same", async () => {
    const answers: [Refusal, number][] = [
      [{ refused: "session_not_found" }, 404],
      [{ refused: "invalid_cursor", path: "query.since_id" }, 400],
      [{ refused: "too_many_streams", cap: "session" }, 429],
    ];
    for (const [refusal, status] of answers) {
      const res = refuseSubscription(refusal);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual(refusal);
    }
  });
});

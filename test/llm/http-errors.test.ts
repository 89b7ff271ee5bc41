import { describe, expect, it } from "vitest";
import { errorForStatus, errorTypeFromBody, parseRetryAfter } from "../../src/llm/http-errors";
import { ToolCallAssembler } from "../../src/llm/tool-call-assembler";
import { LlmError } from "../../src/llm/types";

describe("provider error mapping", () => {
  it("reads retry-after as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter("1.2")).toBe(2);
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
    expect(parseRetryAfter(new Date(Date.now() - 30_000).toUTCString())).toBe(0);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it("keeps only identifier-like error types from a body, never its text", () => {
    expect(errorTypeFromBody('{"error":{"type":"invalid_request_error","message":"Incorrect API key provided: sk-abc***xyz"}}')).toBe(
      "invalid_request_error",
    );
    expect(errorTypeFromBody('{"type":"error","error":{"type":"overloaded_error"}}')).toBe("overloaded_error");
    expect(errorTypeFromBody('{"error":{"type":"key sk-abc is wrong"}}')).toBeUndefined();
    expect(errorTypeFromBody("<html>")).toBeUndefined();
    const err = errorForStatus("openai", 401, new Headers(), "invalid_request_error");
    expect(err.message).toBe("openai answered HTTP 401 (invalid_request_error)");
  });

  it("keeps the HTTP status and retry-after on the error, for the failure log", () => {
    const limited = errorForStatus("anthropic", 429, new Headers({ "retry-after": "7" }), undefined);
    expect(limited).toMatchObject({ code: "llm_rate_limited", status: 429, retryAfterSeconds: 7 });
    expect(errorForStatus("anthropic", 529, new Headers(), "overloaded_error")).toMatchObject({ code: "llm_unavailable", status: 529 });
    expect(new LlmError("llm_timeout", "silent").status).toBeUndefined();
  });
});

describe("tool call assembly", () => {
  it("joins fragments by index and returns calls in index order", () => {
    const calls = new ToolCallAssembler("test");
    calls.add(1, { id: "b", name: "multiply", argumentsText: '{"a":' });
    calls.add(0, { id: "a", name: "add", argumentsText: "" });
    calls.add(1, { argumentsText: "6}" });
    expect(calls.takeAll()).toEqual([
      { id: "a", name: "add", arguments: {} },
      { id: "b", name: "multiply", arguments: { a: 6 } },
    ]);
  });

  it("rejects a call without a name or with arguments that are not a JSON object", () => {
    const noName = new ToolCallAssembler("test");
    noName.add(0, { id: "x", argumentsText: "{}" });
    expect(() => noName.take(0)).toThrow(LlmError);
    const notObject = new ToolCallAssembler("test");
    notObject.add(0, { id: "x", name: "add", argumentsText: "[1, 2]" });
    expect(() => notObject.takeAll()).toThrow(expect.objectContaining({ code: "llm_bad_response" }));
  });
});

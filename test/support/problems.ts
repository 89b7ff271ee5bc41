import type { z } from "@hono/zod-openapi";
import { expect } from "vitest";
import { ERROR_CATALOGUE, type ErrorCode } from "../../src/lib/errors";
import { ErrorSchema } from "../../src/schemas/common";

/** The problem+json body every error has (spec §3). */
export type Problem = z.infer<typeof ErrorSchema>;

/** Checks the envelope every error shares against its already-read body text; returns the parsed body. */
function checkEnvelope(res: Response, text: string): Problem {
  expect(res.headers.get("content-type"), text).toBe("application/problem+json");
  // Strict: a field outside the contract (a stack, a library message) fails the test.
  const body = ErrorSchema.strict().parse(JSON.parse(text));
  expect(body.status, "status mirrors the status line").toBe(res.status);
  expect(ERROR_CATALOGUE[body.code].status, `the catalogue's status for ${body.code}`).toBe(res.status);
  expect(body.type).toBe("about:blank");
  expect(body.title).toBe(ERROR_CATALOGUE[body.code].title);
  expect(body.detail.length).toBeGreaterThan(0);
  expect(body.error).toBe(body.detail);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter, "Retry-After and retry_after_seconds come together").toBe(
    body.retry_after_seconds === undefined ? null : String(body.retry_after_seconds),
  );
  return body;
}

/** The problem+json body of an error response of any status, after checking its envelope. */
export async function problem(res: Response): Promise<Problem> {
  return checkEnvelope(res, await res.text());
}

/**
 * Asserts an error response: its status, its code, and the envelope every error shares
 * (problem+json, a body the error schema accepts with nothing more, status and title from the
 * catalogue, `error` = `detail`, `request_id` = X-Request-ID); with `paths`, also exactly which
 * fields `errors[]` names. Returns the parsed body.
 */
export async function expectProblem(res: Response, status: number, code: ErrorCode, paths?: string[]): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = checkEnvelope(res, text);
  expect(body.code, text).toBe(code);
  if (paths)
    expect(
      body.errors?.map((e) => e.path),
      text,
    ).toEqual(paths);
  return body;
}

import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { captureLogs, fuzzClient, withLogLines } from "./client";
import { createFixture, type Fixture, type Snapshot, settled, snapshot } from "./fixture";
import { checkResponse, describeRequest } from "./invariants";
import { type OpenApiDocument, type Operation, operationsOf } from "./operations";
import { badRequests, type FuzzRequest } from "./requests";

/**
 * Generated bad input for every operation of the served OpenAPI document: wrong types,
 * missing and extra fields, deep nesting, huge strings, unicode edge cases, bad and foreign ids,
 * bad and repeated query values, wrong content types, oversized bodies. Seeded: FUZZ_SEED
 * (vitest.config.ts passes the environment's) reproduces a run, FUZZ_RUNS sets the cases per
 * operation. A failure prints the seed and the shrunk request.
 */
const SEED = Number(env.FUZZ_SEED ?? "") || 20261130;
const RUNS = Math.max(1, Number(env.FUZZ_RUNS ?? "") || 200);

/** A seed per operation, so one operation's cases do not change when another is added. */
function seedFor(op: Operation): number {
  let hash = SEED;
  for (const char of op.id) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

function toRequest(req: FuzzRequest): Request {
  return new Request(`http://api.test${req.url}`, { method: req.method, headers: req.headers, body: req.body });
}

/**
 * Operations whose success starts work that goes on after the response: a message's turn. (A new
 * session's object writes its D1 index row before it answers, so creating one needs no waiting.)
 */
function startsBackgroundWork(op: Operation): boolean {
  return op.method === "POST" && op.template.endsWith("/messages");
}

/**
 * Whether a request to `op` could change the fixture session's own events or messages: the
 * writing methods of its routes (reads never write there; D1's rows are counted for every request).
 */
function writesSession(op: Operation): boolean {
  return op.method !== "GET" && op.template.includes("{session_id}");
}

/**
 * The files the operations are dealt to like cards, test/fuzz/bad-input-1.test.ts to
 * bad-input-<PARTS>.test.ts, one part each: each file runs in a workerd of its own, and so the
 * suite's longest work is split. An operation's cases depend on the seed and its id only, not on
 * the part that runs them.
 */
const PARTS = 2;

/** Declares the tests of one part (1 to PARTS) of the operations. */
export async function describeBadInput(part: number): Promise<void> {
  const logs = captureLogs();
  const send = fuzzClient();
  const doc = (await (await send(new Request("http://api.test/api-doc/openapi.json"))).json()) as OpenApiDocument;
  const all = operationsOf(doc);
  const operations = all.filter((_op, index) => index % PARTS === part - 1);

  /** Cases run and how they ended, per operation: the file's figures. */
  const figures = new Map<string, { cases: number; refused: number; succeeded: number; ms: number }>();

  /** The tenant every read-only operation aims at. */
  let readFixture: Promise<Fixture> | undefined;

  /**
   * Another tenant, whose ids the requests use as the ids of someone else's resources. Made once, on
   * first use (so `-t` can pick one operation).
   */
  let foreign: Promise<Fixture> | undefined;

  describe(`generated bad input never breaks the API (the OpenAPI document's operations, part ${part} of ${PARTS})`, () => {
    it("reads the document", () => {
      expect(all.length).toBeGreaterThan(40);
      expect(operations.length).toBeGreaterThan(0);
    });

    for (const op of operations) {
      it(`${op.method} ${op.template}`, async () => {
        const started = Date.now();
        // Reads share one fixture (they change nothing); every other operation gets its own.
        if (op.method === "GET") readFixture ??= createFixture(send, "reads");
        const fixture = await (op.method === "GET" && readFixture ? readFixture : createFixture(send, op.id));
        const withSession = writesSession(op);
        // Capabilities are built in and the same for everyone: nothing of theirs is another tenant's.
        foreign ??= createFixture(send, "foreign");
        const { capability: _shared, ...foreignIds } = (await foreign).ids;
        const ctx = { doc, own: fixture.ids, foreign: foreignIds, authHeaders: op.secured ? fixture.headers : {} };
        const tally = { cases: 0, refused: 0, succeeded: 0, ms: 0 };
        let baseline: Snapshot = await settled(fixture, withSession);
        await fc.assert(
          fc.asyncProperty(badRequests(ctx, op), async (req) => {
            tally.cases += 1;
            logs.take();
            try {
              const res = await send(toRequest(req));
              const ok = res.status >= 200 && res.status < 300;
              await checkResponse(req, res);
              if (ok) {
                tally.succeeded += 1;
                // A read that succeeded changed nothing (if it had, the next refused case would show it).
                if (op.method !== "GET")
                  baseline = startsBackgroundWork(op) ? await settled(fixture, withSession) : await snapshot(fixture, withSession);
                return;
              }
              tally.refused += 1;
              const after = await snapshot(fixture, withSession);
              expect(after, `${describeRequest(req)} → ${res.status}: a refused request changed stored data`).toEqual(baseline);
            } catch (err) {
              const lines = logs.take();
              // A failing case may have written (that can be the failure): the cases fast-check
              // then tries while shrinking compare with what is stored now, not with before it.
              baseline = await settled(fixture, withSession);
              throw withLogLines(err, lines);
            }
          }),
          { seed: seedFor(op), numRuns: RUNS, endOnFailure: false },
        );
        tally.ms = Date.now() - started;
        figures.set(`${op.method} ${op.template}`, tally);
      });
    }

    it("ran at least the configured number of cases on every operation", () => {
      const short = operations.map((op) => `${op.method} ${op.template}`).filter((name) => (figures.get(name)?.cases ?? 0) < RUNS);
      expect(short).toEqual([]);
    });

    afterAll(() => {
      const rows = [...figures.entries()].map(
        ([name, f]) => `${name}: ${f.cases} cases (${f.refused} refused, ${f.succeeded} succeeded) in ${f.ms} ms`,
      );
      const total = [...figures.values()].reduce((sum, f) => sum + f.cases, 0);
      logs.restore();
      console.info(`fuzz: seed ${SEED}, ${figures.size} operations, ${total} cases\n${rows.join("\n")}`);
    });
  });
}

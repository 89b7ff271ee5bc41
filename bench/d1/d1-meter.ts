/**
 * Bench only. Delays and counts every call a Worker makes to D1, standing in for the network
 * distance to a remote D1 primary. One round trip is one prepared-statement execution, one
 * batch(), one exec() or one dump(). Never imported by src/: the bench bundles it through
 * bench/d1/entry.ts, which the deployed Worker does not use.
 */

/** Which side made the call: the stateless Worker (routes) or a Durable Object. */
export type CallSource = "worker" | "object";

export interface D1Call {
  kind: "read" | "write";
  /** A short form of the SQL: verb and table, e.g. `select agents`, or `batch[…]`. */
  what: string;
  source: CallSource;
  /** Which copy answered: the primary, or a read replica (a read of a D1 session that may read one). */
  where: "primary" | "replica";
  /** Set once the answer is back: the bench tells calls made on a request's path from later ones by this. */
  done: boolean;
  /** Ticks of one clock that counts every start and end: a call that started after another ended waited for it. */
  startedAt: number;
  endedAt: number;
}

/** At most this many calls are kept between two reads of the meter (a bound, not a sample). */
const MAX_CALLS = 10_000;

/** The per-isolate meter: the Worker and its Durable Objects share one isolate in workerd, so one meter. */
class D1Meter {
  /** The primary's round trip. */
  latencyMs = 0;
  /** A nearby read replica's round trip (null: replicas are as far as the primary). */
  replicaMs: number | null = null;
  calls: D1Call[] = [];
  dropped = 0;
  #clock = 0;

  /**
   * Runs one round trip: half the latency before it (the request on its way), half after (the
   * answer on its way back), so a write lands in the middle of its round trip as it would remotely.
   */
  async roundTrip<T>(
    kind: D1Call["kind"],
    what: string,
    source: CallSource,
    run: () => Promise<T>,
    where: D1Call["where"] = "primary",
  ): Promise<T> {
    const call: D1Call = { kind, what, source, where, done: false, startedAt: ++this.#clock, endedAt: 0 };
    if (this.calls.length < MAX_CALLS) this.calls.push(call);
    else this.dropped += 1;
    const half = (where === "replica" && this.replicaMs !== null ? this.replicaMs : this.latencyMs) / 2;
    try {
      if (half > 0) await sleep(half);
      const result = await run();
      if (half > 0) await sleep(half);
      return result;
    } finally {
      call.endedAt = ++this.#clock;
      call.done = true;
    }
  }

  /** The calls so far (copied); with `reset`, starts counting afresh. */
  read(reset: boolean): { latencyMs: number; replicaMs: number | null; calls: D1Call[]; dropped: number } {
    const snapshot = {
      latencyMs: this.latencyMs,
      replicaMs: this.replicaMs,
      calls: this.calls.map((c) => ({ ...c })),
      dropped: this.dropped,
    };
    if (reset) {
      this.calls = [];
      this.dropped = 0;
    }
    return snapshot;
  }
}

export const meter = new D1Meter();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `select agents`, `insert sessions`, …: the verb and the first table the statement names. */
export function describeSql(sql: string): { kind: D1Call["kind"]; what: string } {
  const text = sql.trim().replace(/\s+/g, " ");
  const verb = (/^(select|insert|update|delete|replace|with|pragma|begin|commit)\b/i.exec(text)?.[1] ?? "sql").toLowerCase();
  const table = /\b(?:from|into|update|join)\s+["`]?([A-Za-z_][\w]*)/i.exec(text)?.[1] ?? "";
  // `with … select` reads; a `with` that writes says so after its common table expressions.
  const writes = verb === "with" ? /\b(insert|update|delete|replace)\b/i.test(text) : !["select", "pragma"].includes(verb);
  return { kind: writes ? "write" : "read", what: `${verb}${table ? ` ${table}` : ""}` };
}

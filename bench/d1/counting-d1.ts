/**
 * Bench only. A D1 binding that passes every call to the real one through the meter (delayed and
 * counted). Statements keep their real statement inside, so batch() can hand the real ones on.
 */
import { type CallSource, describeSql, meter } from "./d1-meter";

/**
 * Where a session's calls go, as D1 routes them: a write, and every call of a "first-primary"
 * session or of one that has written, to the primary; other reads to the nearest replica.
 */
class Route {
  readonly #replicaReads: boolean;
  #wrote = false;

  constructor(replicaReads: boolean) {
    this.#replicaReads = replicaReads;
  }

  /** Where a call of this kind goes now; a write sends the session's later reads to the primary. */
  take(kind: "read" | "write"): "primary" | "replica" {
    if (kind === "write") this.#wrote = true;
    return this.#replicaReads && !this.#wrote ? "replica" : "primary";
  }
}

const PRIMARY_ONLY = () => new Route(false);

class CountingStatement {
  readonly real: D1PreparedStatement;
  readonly #sql: string;
  readonly #source: CallSource;
  readonly #route: Route;

  constructor(real: D1PreparedStatement, sql: string, source: CallSource, route: Route) {
    this.real = real;
    this.#sql = sql;
    this.#source = source;
    this.#route = route;
  }

  bind(...values: unknown[]): CountingStatement {
    return new CountingStatement(this.real.bind(...values), this.#sql, this.#source, this.#route);
  }

  first(column?: string): Promise<unknown> {
    return this.#trip(() => (column === undefined ? this.real.first() : this.real.first(column)));
  }

  run(): Promise<D1Result> {
    return this.#trip(() => this.real.run());
  }

  all(): Promise<D1Result> {
    return this.#trip(() => this.real.all());
  }

  raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    return this.#trip(() => (options?.columnNames ? this.real.raw({ columnNames: true }) : this.real.raw()));
  }

  /** The SQL, for describing a batch it is part of. */
  get sql(): string {
    return this.#sql;
  }

  #trip<T>(run: () => Promise<T>): Promise<T> {
    const { kind, what } = describeSql(this.#sql);
    return meter.roundTrip(kind, what, this.#source, run, this.#route.take(kind));
  }
}

/** The statements' real counterparts; a statement made elsewhere is passed on as it is. */
function unwrap(statements: unknown[]): D1PreparedStatement[] {
  return statements.map((s) => (s instanceof CountingStatement ? s.real : (s as D1PreparedStatement)));
}

/** A batch is one round trip; it writes if any of its statements does. */
function describeBatch(statements: unknown[]): { kind: "read" | "write"; what: string } {
  const parts = statements.map((s) => (s instanceof CountingStatement ? describeSql(s.sql) : { kind: "read" as const, what: "?" }));
  return { kind: parts.some((p) => p.kind === "write") ? "write" : "read", what: `batch[${parts.map((p) => p.what).join(", ")}]` };
}

class CountingSession {
  readonly #real: D1DatabaseSession;
  readonly #source: CallSource;
  readonly #route: () => Route;

  /** `route` gives the route of each call: one per session, a new one per call for the bare binding. */
  constructor(real: D1DatabaseSession, source: CallSource, route: () => Route) {
    this.#real = real;
    this.#source = source;
    this.#route = route;
  }

  prepare(sql: string): CountingStatement {
    return new CountingStatement(this.#real.prepare(sql), sql, this.#source, this.#route());
  }

  batch(statements: unknown[]): Promise<D1Result[]> {
    const { kind, what } = describeBatch(statements);
    return meter.roundTrip(kind, what, this.#source, () => this.#real.batch(unwrap(statements)), this.#route().take(kind));
  }

  getBookmark(): string | null {
    return this.#real.getBookmark();
  }
}

class CountingD1 extends CountingSession {
  readonly #db: D1Database;
  readonly #src: CallSource;

  constructor(real: D1Database, source: CallSource) {
    super(real as unknown as D1DatabaseSession, source, PRIMARY_ONLY);
    this.#db = real;
    this.#src = source;
  }

  exec(sql: string): Promise<D1ExecResult> {
    // The bare binding (no session) always reaches the primary.
    return meter.roundTrip(describeSql(sql).kind, `exec ${describeSql(sql).what}`, this.#src, () => this.#db.exec(sql));
  }

  dump(): Promise<ArrayBuffer> {
    return meter.roundTrip("read", "dump", this.#src, () => this.#db.dump());
  }

  /** A session: "first-primary" reads the primary; "first-unconstrained" or a bookmark, the nearest replica until it writes. */
  withSession(constraint?: string): CountingSession {
    const route = new Route(constraint !== "first-primary");
    return new CountingSession(this.#db.withSession(constraint), this.#src, () => route);
  }
}

/**
 * The D1 binding as the app sees it under the bench. The cast is the one place the structural
 * stand-in meets workers-types' abstract class (its overloads cannot be implemented one by one).
 */
export function countingD1(real: D1Database, source: CallSource): D1Database {
  return new CountingD1(real, source) as unknown as D1Database;
}

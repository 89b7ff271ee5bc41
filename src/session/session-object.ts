import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** One per session: the single writer of the session's event log (issue 5 fills this in). */
export class SessionObject extends DurableObject<Env> {}

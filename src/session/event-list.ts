import type { EventLog } from "./event-log";
import { type EventEnvelope, eventFilter } from "./events";
import type { EventListQuery, Refusal } from "./rpc";
import { invalidCursor } from "./subscription";

/** Event data a JSON list page holds at most (a page of 1,000 events near the body limit would be 1 GB). */
const LIST_PAGE_BYTES = 8 * 1024 * 1024;

/** A page of stored events for the JSON list; the cursor means the same as on the stream. */
export function eventListPage(log: EventLog, query: EventListQuery): EventEnvelope[] | Refusal {
  const after = log.resolve(query.cursor);
  if (after === null) return invalidCursor(query.cursor);
  const page = log.page({
    afterSequence: after,
    beforeSequence: query.beforeSequence,
    limit: query.limit,
    maxBytes: LIST_PAGE_BYTES,
    turnId: query.turnId,
    filter: eventFilter(query.types, query.exclude),
  });
  return query.newestFirst ? page.reverse() : page;
}

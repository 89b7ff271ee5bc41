import { describeError, logLine } from "../lib/log";

/** How long after a failed index write (or an unfinished delete) the alarm tries again. */
export const INDEX_RETRY_MS = 5_000;

/**
 * One alarm serves every timer a session object needs: it is set to the earliest of `times` (the
 * watchdog of a running turn, an index retry, the streams' credential check), or to a retry when
 * the session's delete is unfinished; with nothing due, no alarm is left (an idle object keeps
 * nothing). A failure to set it is logged, not thrown: the caller's work is already done.
 */
export async function setSessionAlarm(storage: DurableObjectStorage, deleting: boolean, times: readonly (number | null)[]): Promise<void> {
  try {
    if (deleting) {
      await storage.setAlarm(Date.now() + INDEX_RETRY_MS);
      return;
    }
    const due = times.filter((t) => t !== null);
    if (due.length > 0) await storage.setAlarm(Math.min(...due));
    else await storage.deleteAlarm();
  } catch (err) {
    logLine("error", { msg: "could not set the session alarm", error: describeError(err) });
  }
}

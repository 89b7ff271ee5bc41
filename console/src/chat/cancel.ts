import type { Transcript } from "./transcript";

/**
 * The cancel request for the turn running now: it always names the turn (`turn_id`), so a double
 * click or a retry cancels that turn only, never the one queued behind it. Null when none runs.
 */
export function cancelRequest(sessionId: string, transcript: Transcript): { path: string; body: { turn_id: string } } | null {
  const running = transcript.running;
  if (!running) return null;
  return { path: `/v1/sessions/${sessionId}/cancel`, body: { turn_id: running.turnId } };
}

import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { ResolvedDriverOptions } from "./driver-options";
import { errorForStatus, errorTypeFromBody } from "./http-errors";
import { providerUrlRefusal } from "./provider-url";
import { LlmError } from "./types";

/** One streaming POST to a provider. */
export interface SseCall {
  /** Names the provider in error messages ("openai", "anthropic"). */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  options: ResolvedDriverOptions;
}

/** A provider event larger than this is not a real chunk; refusing it bounds memory. */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/**
 * POSTs the call and yields its server-sent events as they arrive, parsed by eventsource-parser.
 *
 * Failures come out as LlmError: a URL the provider policy refuses (provider-url.ts) or
 * unreachable → llm_unavailable, non-2xx (a redirect too) → by status, a body that
 * breaks while being read → llm_bad_response, silence longer than the first-byte or idle
 * timeout → llm_timeout. Aborting `call.signal` stops the fetch or the pending read at once and
 * rejects with the signal's reason. The generator ends when the body ends; deciding whether
 * the stream was complete (its terminal marker seen) is the driver's job. Stopping iteration
 * early cancels the body.
 */
export async function* postSse(call: SseCall): AsyncGenerator<EventSourceMessage> {
  call.signal.throwIfAborted();
  // Checked here, at call time, as well as when the URL is stored: the setting may have been
  // turned off since, and the row may predate the check. Nothing is sent to a refused URL.
  const refusal = providerUrlRefusal(call.url, call.options.allowPrivateUrls);
  if (refusal !== null) throw new LlmError("llm_unavailable", `${call.provider} base URL refused: ${refusal}`);
  // One controller for everything in flight, aborted by the caller's signal or by a timeout,
  // so there is a single place to ask "why did this stop?".
  const inner = new AbortController();
  const forwardAbort = () => inner.abort(call.signal.reason);
  call.signal.addEventListener("abort", forwardAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | null = null;
  const arm = (ms: number, phase: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => inner.abort(new LlmError("llm_timeout", `${call.provider} sent nothing for ${ms} ms ${phase}`)), ms);
  };
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    // The first-byte timer spans connect, headers and the first body chunk.
    arm(call.options.firstByteTimeoutMs, "before the first byte");
    const response = await guarded(
      // A redirect is not followed (it comes back as a non-2xx status): it could point the call,
      // and the key in its headers, at an address the policy above refuses.
      call.options.fetch(call.url, {
        method: "POST",
        headers: call.headers,
        body: JSON.stringify(call.body),
        redirect: "manual",
        signal: inner.signal,
      }),
      inner.signal,
      (cause) => new LlmError("llm_unavailable", `${call.provider} could not be reached`, { cause }),
    );
    if (!response.ok) {
      let text = "";
      try {
        text = await guarded(response.text(), inner.signal, (cause) => cause);
      } catch {
        // The status alone classifies the failure; only a cancel outranks it.
        call.signal.throwIfAborted();
      }
      throw errorForStatus(call.provider, response.status, response.headers, errorTypeFromBody(text));
    }
    if (!response.body) throw new LlmError("llm_bad_response", `${call.provider} answered without a body`);
    reader = response.body.getReader();

    const decoder = new TextDecoder();
    const ready: EventSourceMessage[] = [];
    let parseFailure: LlmError | undefined;
    const parser = createParser({
      maxBufferSize: MAX_EVENT_CHARS,
      onEvent: (event) => void ready.push(event),
      onError: (err) => {
        // Unknown fields and bad `retry:` values are harmless; an unbounded event is not.
        if (err.type === "max-buffer-size-exceeded")
          parseFailure = new LlmError("llm_bad_response", `${call.provider} sent an oversized event`);
      },
    });
    for (let first = true; ; first = false) {
      // The idle timer runs only while we wait on the provider, not while our consumer works.
      if (!first) arm(call.options.idleTimeoutMs, "between chunks");
      const chunk = await guarded(
        reader.read(),
        inner.signal,
        (cause) => new LlmError("llm_bad_response", `${call.provider} stream broke off`, { cause }),
      );
      clearTimeout(timer);
      if (chunk.done) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      if (parseFailure) throw parseFailure;
      while (ready.length > 0) {
        const event = ready.shift();
        if (event) yield event;
      }
    }
  } finally {
    clearTimeout(timer);
    call.signal.removeEventListener("abort", forwardAbort);
    // Releases the connection when we stop early (terminal marker, error, consumer gave up).
    if (reader) reader.cancel().catch(() => undefined);
    if (!inner.signal.aborted) inner.abort();
  }
}

/**
 * Awaits `work`, but settles as soon as `signal` aborts (with its reason: the caller's abort
 * reason or our timeout error), and turns any other rejection into `onError(cause)`.
 */
function guarded<T>(work: Promise<T>, signal: AbortSignal, onError: (cause: unknown) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      work.catch(() => undefined);
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (cause: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(signal.aborted ? signal.reason : onError(cause));
      },
    );
  });
}

/** Parses one event's JSON payload; a chunk that is not JSON means the stream is corrupt. */
export function parseEventJson(provider: string, data: string): unknown {
  try {
    return JSON.parse(data);
  } catch (cause) {
    throw new LlmError("llm_bad_response", `${provider} sent a chunk that is not JSON`, { cause });
  }
}

import { z } from "@hono/zod-openapi";
import { boundedString, freeFormObject, freeFormValue } from "./common";
import { CLIENT_TOOL_LIMITS } from "./tools";

/** Limits of an AG-UI run's input: clients send the whole conversation every run. */
const AG_UI_LIMITS = {
  messages: 10_000,
  context: 32,
  contextBytes: 16 * 1024,
  resume: 64,
  idBytes: 256,
  payloadBytes: 256 * 1024,
} as const;

/** A list refinement: an entry whose `key` an earlier entry has already is an issue naming it. */
function noDuplicates<K extends string>(key: K, message: string) {
  return (entries: Record<K, string>[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      if (seen.has(entry[key])) ctx.addIssue({ code: "custom", path: [i, key], message });
      seen.add(entry[key]);
    });
  };
}

const AgUiMessageSchema = z
  .looseObject({
    id: boundedString(AG_UI_LIMITS.idBytes).pipe(z.string().min(1)),
    role: z.enum(["developer", "system", "assistant", "user", "tool", "activity", "reasoning"]),
    content: z.unknown().optional(),
  })
  .openapi("AgUiMessage", { description: "An AG-UI message; the last user message is the run's input" });

const AgUiToolSchema = z
  .looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "Must be 1–64 letters, digits, _ or -"),
    description: boundedString(CLIENT_TOOL_LIMITS.descriptionBytes).default(""),
    parameters: freeFormObject({ maxBytes: CLIENT_TOOL_LIMITS.parametersBytes })
      .nullish()
      .openapi({ description: "JSON Schema of the arguments" }),
  })
  .openapi("AgUiTool", { description: "A frontend tool: client-side for this run" });

const ResumeEntrySchema = z
  .looseObject({
    interruptId: boundedString(AG_UI_LIMITS.idBytes).pipe(z.string().min(1)),
    status: z.enum(["resolved", "cancelled"]),
    payload: freeFormValue({ maxBytes: AG_UI_LIMITS.payloadBytes }).optional(),
  })
  .openapi("AgUiResumeEntry");

/** AG-UI 1.0's `RunAgentInput`; `state` and `forwardedProps` are accepted and not used. */
export const RunAgentInputSchema = z
  .looseObject({
    threadId: z.string().openapi({ description: "The session id" }),
    runId: boundedString(AG_UI_LIMITS.idBytes).pipe(z.string().min(1)),
    messages: z.array(AgUiMessageSchema).max(AG_UI_LIMITS.messages),
    tools: z.array(AgUiToolSchema).max(CLIENT_TOOL_LIMITS.count).superRefine(noDuplicates("name", "Duplicate tool name")).default([]),
    context: z
      .array(z.looseObject({ description: boundedString(AG_UI_LIMITS.contextBytes), value: boundedString(AG_UI_LIMITS.contextBytes) }))
      .max(AG_UI_LIMITS.context)
      .default([]),
    state: z.unknown().optional(),
    forwardedProps: z.unknown().optional(),
    resume: z
      .array(ResumeEntrySchema)
      .max(AG_UI_LIMITS.resume)
      .superRefine(noDuplicates("interruptId", "Duplicate interrupt id: answer each interrupt once"))
      .optional(),
  })
  .openapi("RunAgentInput");

export type RunAgentInputValue = z.infer<typeof RunAgentInputSchema>;

import { type Capability, ToolError } from "./types";

/** True when `Intl` knows the IANA zone name. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const currentTime: Capability = {
  id: "current_time",
  name: "Current time",
  description: "Tells the agent the current date and time, in UTC or an IANA time zone.",
  status: "available",
  category: "utility",
  systemPrompt: "You can call get_current_time to learn the current date and time; do not guess it.",
  tools: [
    {
      name: "get_current_time",
      description: "Returns the current date and time as ISO 8601 (UTC) and as local time in the given IANA time zone.",
      parameters: {
        type: "object",
        properties: { timezone: { type: "string", description: "IANA time zone, e.g. Europe/Berlin. Defaults to UTC." } },
        additionalProperties: false,
      },
      timeoutMs: 1_000,
      async execute(args) {
        const zone = args.timezone === undefined ? "UTC" : args.timezone;
        if (typeof zone !== "string" || !isTimeZone(zone)) throw new ToolError(`Unknown time zone: ${String(zone)}`);
        const now = new Date();
        const local = new Intl.DateTimeFormat("en-US", { timeZone: zone, dateStyle: "full", timeStyle: "long" }).format(now);
        return { iso: now.toISOString(), timezone: zone, local, unix_ms: now.getTime() };
      },
    },
  ],
};

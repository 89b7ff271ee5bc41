import { type Capability, ToolError } from "./types";

const CONDITIONS = ["sunny", "partly cloudy", "cloudy", "light rain", "heavy rain", "snow", "fog", "windy"] as const;

/** FNV-1a over the normalised name: the same place always gets the same weather. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (const char of text) {
    h ^= char.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export const testWeather: Capability = {
  id: "test_weather",
  name: "Test weather",
  description: "A deterministic fake weather report, for trying tool calls without a network.",
  status: "available",
  category: "testing",
  systemPrompt: "get_weather returns made-up weather for testing; say so if the user seems to rely on it.",
  tools: [
    {
      name: "get_weather",
      description: "Returns a (fake, deterministic) weather report for a place.",
      parameters: {
        type: "object",
        properties: { location: { type: "string", description: "A city or place name" } },
        required: ["location"],
        additionalProperties: false,
      },
      timeoutMs: 1_000,
      async execute(args) {
        const location = typeof args.location === "string" ? args.location.trim() : "";
        if (location.length === 0 || location.length > 200) throw new ToolError("location must be a place name of 1 to 200 characters");
        const h = hash(location.toLowerCase());
        return {
          location,
          condition: CONDITIONS[h % CONDITIONS.length],
          temperature_c: ((h >>> 8) % 41) - 5,
          humidity_percent: 20 + ((h >>> 16) % 71),
          simulated: true,
        };
      },
    },
  ],
};

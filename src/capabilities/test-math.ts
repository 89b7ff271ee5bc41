import { type Capability, type Tool, ToolError } from "./types";

const operands = {
  type: "object",
  properties: { a: { type: "number", description: "First operand" }, b: { type: "number", description: "Second operand" } },
  required: ["a", "b"],
  additionalProperties: false,
};

function numbers(args: Record<string, unknown>): [number, number] {
  const { a, b } = args;
  if (typeof a !== "number" || !Number.isFinite(a) || typeof b !== "number" || !Number.isFinite(b)) {
    throw new ToolError("Both a and b must be finite numbers");
  }
  return [a, b];
}

function operation(name: string, description: string, apply: (a: number, b: number) => number): Tool {
  return {
    name,
    description,
    parameters: operands,
    timeoutMs: 1_000,
    async execute(args) {
      const [a, b] = numbers(args);
      return { result: apply(a, b) };
    },
  };
}

/** Arithmetic tools with exact, checkable answers: the capability tests and demos lean on. */
export const testMath: Capability = {
  id: "test_math",
  name: "Test math",
  description: "Arithmetic tools (add, subtract, multiply, divide) for trying tool calls.",
  status: "available",
  category: "testing",
  systemPrompt: "Use the math tools for arithmetic instead of computing in your head.",
  tools: [
    operation("add", "Adds b to a.", (a, b) => a + b),
    operation("subtract", "Subtracts b from a.", (a, b) => a - b),
    operation("multiply", "Multiplies a by b.", (a, b) => a * b),
    operation("divide", "Divides a by b; b must not be zero.", (a, b) => {
      if (b === 0) throw new ToolError("Division by zero");
      return a / b;
    }),
  ],
};

/**
 * How deep free-form JSON (capability config, message metadata, a model's tool arguments) may
 * nest: `{}` is one level. Deeper input is refused before anything is stored, since code that
 * walks a value recursively (JSON.stringify when a row is written or a response serialized,
 * structured clone on an RPC) overflows the stack somewhere past a few thousand levels.
 */
export const FREE_FORM_MAX_DEPTH = 32;

/** One container on the walk, with how it was reached (a parent link, so no path is copied per node). */
interface Visit {
  value: unknown;
  depth: number;
  key: string | number | null;
  parent: Visit | null;
}

/** The keys from the root to `visit`. */
function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Visit | null = visit; at !== null && at.key !== null; at = at.parent) path.unshift(at.key);
  return path;
}

/**
 * The path to the first object or array nested deeper than `maxDepth` levels in a parsed JSON
 * value (the value itself, if it is a container, is level 1), or null when there is none.
 * Iterative and stopping at the first excess, so it cannot overflow the stack the way the
 * recursive walks it protects (JSON.stringify, structured clone) do.
 */
export function firstTooDeep(value: unknown, maxDepth: number): (string | number)[] | null {
  const stack: Visit[] = [{ value, depth: 1, key: null, parent: null }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const current = visit.value;
    if (current === null || typeof current !== "object") continue;
    if (visit.depth > maxDepth) return pathOf(visit);
    const entries: [string | number, unknown][] = Array.isArray(current) ? current.map((item, i) => [i, item]) : Object.entries(current);
    // Pushed last to first, so containers are visited in document order.
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, item] = entries[i] ?? [0, null];
      if (item !== null && typeof item === "object") stack.push({ value: item, depth: visit.depth + 1, key, parent: visit });
    }
  }
  return null;
}

// The import check (`npm run check:imports`, run by .ci/run): every import under src/ (type
// imports and re-exports included) must follow the folder rules below, and no import circle may
// exist. Imports are read with TypeScript's own pre-processor, so what it sees is what tsc sees.
// `--print` prints the folder-to-folder import table instead (for docs/ARCHITECTURE.md's code map).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

/**
 * What each part of src/ may import besides itself (a folder, or a root file by its name without
 * `.ts`). `type:x` allows only type imports from x (`import type`, or named imports that are all
 * `type`). `session:contract` is session/rpc.ts and session/subscription.ts, the only files of the
 * session object's folder open to others. Keep this table and the code map in docs/ARCHITECTURE.md
 * the same.
 */
export const RULES = {
  lib: ["type:env"],
  env: ["type:db", "type:rate-limit", "type:session:contract", "type:webhooks"],
  "rate-limit": [],
  harness: ["lib"],
  db: ["type:schemas"],
  schemas: ["lib", "harness", "session:contract", "webhooks", "type:db", "type:env", "type:capabilities"],
  llm: ["lib", "db", "type:env"],
  capabilities: ["lib", "type:llm"],
  mcp: ["lib"],
  session: ["lib", "db", "llm", "mcp", "schemas", "capabilities", "webhooks", "type:env"],
  services: ["lib", "db", "llm", "mcp", "schemas", "capabilities", "harness", "session:contract", "webhooks", "type:env"],
  /** Signing, delivery and the queue consumer of webhooks; its messages are the producers' contract. */
  webhooks: ["lib", "db", "type:env"],
  streaming: ["lib", "session:contract", "type:env"],
  middleware: ["lib", "db", "services", "type:env"],
  routes: ["lib", "schemas", "services", "middleware", "streaming", "capabilities", "harness", "type:env", "type:session:contract"],
  app: ["lib", "middleware", "routes", "type:env"],
  index: ["app", "session", "streaming", "rate-limit", "webhooks", "type:env"],
  /** src/*.d.ts: ambient declarations (modules the bundler or the runtime provides). */
  declarations: [],
};

/** The files of session/ that other parts may import: the object's contract (its RPC shapes, the subscription's encoding). */
const SESSION_CONTRACT = new Set(["session/rpc.ts", "session/subscription.ts"]);

/** The part a file (relative to src/) belongs to: its top folder, a root file's name, or `declarations` for a root `.d.ts`. */
function partOf(file) {
  const [first, ...rest] = file.split("/");
  if (rest.length > 0) return first;
  return first.endsWith(".d.ts") ? "declarations" : first.replace(/\.ts$/, "");
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

/** The file a relative specifier names (TypeScript's resolution for this project: extensionless, .js for .ts, or index). */
function resolveSpecifier(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}.d.ts`, base.replace(/\.js$/, ".ts"), join(base, "index.ts")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** The module specifiers a file imports or re-exports, each with whether only types come through it. */
function importsOf(path) {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, false);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : null;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly || (!clause.name && named !== null && named.length > 0 && named.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      found.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: node.isTypeOnly || (named !== null && named.length > 0 && named.every((e) => e.isTypeOnly)),
      });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every file under src/ with the src/ files it imports (relative paths), and whether only types come through. */
function importGraph() {
  const graph = new Map();
  const unresolved = [];
  for (const path of walk(src)) {
    const file = relative(src, path);
    const targets = new Map();
    for (const { specifier, typeOnly } of importsOf(path)) {
      if (!specifier.startsWith(".")) continue; // a package or a runtime module (cloudflare:workers)
      const target = resolveSpecifier(path, specifier);
      if (target === null) unresolved.push(`${file}: ${specifier}`);
      else targets.set(relative(src, target), (targets.get(relative(src, target)) ?? true) && typeOnly);
    }
    graph.set(file, targets);
  }
  return { graph, unresolved };
}

/** The import circles: one path per strongly connected component with more than one file (or a file that imports itself). */
function circles(graph) {
  let index = 0;
  const indexes = new Map();
  const lows = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const connect = (file) => {
    indexes.set(file, index);
    lows.set(file, index);
    index += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file)?.keys() ?? []) {
      if (!indexes.has(next)) {
        connect(next);
        lows.set(file, Math.min(lows.get(file), lows.get(next)));
      } else if (onStack.has(next)) lows.set(file, Math.min(lows.get(file), indexes.get(next)));
    }
    if (lows.get(file) !== indexes.get(file)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.has(file)) found.push(cycleIn(graph, new Set(component), component[0]));
  };
  for (const file of graph.keys()) if (!indexes.has(file)) connect(file);
  return found;
}

/** One circle through `start` inside its component (breadth-first, so the shortest). */
function cycleIn(graph, component, start) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of graph.get(file)?.keys() ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [file];
        for (let at = previous.get(file); at !== null; at = previous.get(at)) path.unshift(at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** The name a target goes by in the rules: its part, or `session:contract` for the files session/ opens to others. */
function ruleName(target) {
  const to = partOf(target);
  return to === "session" && SESSION_CONTRACT.has(target) ? "session:contract" : to;
}

/** Whether `allowed` lets an import of `to` through (`type:` entries: only when only types come through). */
function allows(allowed, to, typeOnly) {
  return allowed.includes(to) || (typeOnly && allowed.includes(`type:${to}`));
}

/** The imports that break the folder rules, as `file -> target (why)`. */
function ruleBreaks(graph) {
  const breaks = [];
  for (const [file, targets] of graph) {
    const from = partOf(file);
    const allowed = RULES[from];
    if (!allowed) {
      breaks.push(`${file}: src/${from} has no rule in scripts/check-imports.mjs`);
      continue;
    }
    for (const [target, typeOnly] of targets) {
      if (partOf(target) === from) continue;
      const to = ruleName(target);
      if (allows(allowed, to, typeOnly)) continue;
      let why = `${from} may not import ${to}`;
      if (allowed.includes(`type:${to}`)) why = `${from} may import only types from ${to}`;
      else if (to === "session" && (allowed.includes("session:contract") || allowed.includes("type:session:contract")))
        why = "only session/rpc.ts and session/subscription.ts are open to it";
      breaks.push(`${file} -> ${target} (${why})`);
    }
  }
  return breaks;
}

/** The folder-to-folder table: for each part, the parts it imports today (`type:` when only types). */
function table(graph) {
  const uses = new Map();
  for (const [file, targets] of graph) {
    const from = partOf(file);
    if (!uses.has(from)) uses.set(from, new Map());
    const mine = uses.get(from);
    for (const [target, typeOnly] of targets) {
      if (partOf(target) === from) continue;
      const to = ruleName(target);
      mine.set(to, (mine.get(to) ?? true) && typeOnly);
    }
  }
  return [...uses]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([from, to]) =>
        `${from.padEnd(12)} ${
          [...to]
            .map(([name, typeOnly]) => (typeOnly ? `type:${name}` : name))
            .sort()
            .join(", ") || "-"
        }`,
    )
    .join("\n");
}

const { graph, unresolved } = importGraph();
if (process.argv.includes("--print")) {
  console.log(table(graph));
  process.exit(0);
}
const found = circles(graph);
const breaks = ruleBreaks(graph);
for (const line of unresolved) console.error(`check-imports: cannot resolve ${line}`);
for (const circle of found) console.error(`check-imports: import circle: ${circle.join(" -> ")}`);
for (const line of breaks) console.error(`check-imports: ${line}`);
const problems = unresolved.length + found.length + breaks.length;
console.log(`check-imports: ${graph.size} files, ${found.length} circles, ${breaks.length} imports against the folder rules`);
process.exit(problems === 0 ? 0 : 1);

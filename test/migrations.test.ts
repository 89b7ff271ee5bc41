import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * Runs D1 migrations on a scratch SQLite database: the storage of a RateLimiter object of its own
 * (the limiter keeps its counts in memory, so its storage is empty), which is workerd's SQLite like
 * D1's, and isolated from the D1 the other tests share.
 */
async function onScratchDatabase<T>(run: (sql: SqlStorage) => T): Promise<T> {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`scratch-db-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, ctx) => run(ctx.storage.sql));
}

/** Applies the migrations whose names start with one of `prefixes`, in order, statement by statement. */
function migrate(sql: SqlStorage, prefixes: string[]): void {
  for (const migration of env.TEST_MIGRATIONS.filter((m) => prefixes.some((p) => m.name.startsWith(p)))) {
    for (const query of migration.queries) sql.exec(query);
  }
}

const NOW = "2026-01-01T00:00:00.000Z";

/** A model row; ids sort in creation order, like the real time-ordered ids. */
function insertModel(sql: SqlStorage, id: string, providerId: string, modelId: string, isDefault = false): void {
  sql.exec(
    "INSERT INTO llm_models (id, org_id, provider_id, model_id, is_default, status, created_at, updated_at) VALUES (?, 'org_1', ?, ?, ?, 'active', ?, ?)",
    id,
    providerId,
    modelId,
    isDefault ? 1 : 0,
    NOW,
    NOW,
  );
}

function insertAgent(sql: SqlStorage, id: string, defaultModelId: string | null): void {
  sql.exec(
    "INSERT INTO agents (id, org_id, name, system_prompt, default_model_id, tags, status, created_at, updated_at) VALUES (?, 'org_1', 'a', 'p', ?, '[]', 'active', ?, ?)",
    id,
    defaultModelId,
    NOW,
    NOW,
  );
}

describe("migration 0004: one model per (provider, model_id)", () => {
  it("merges existing duplicates into the oldest row, keeps agents' references and the org's default, then enforces the index", async () => {
    const result = await onScratchDatabase((sql) => {
      migrate(sql, ["0000_", "0001_", "0002_", "0003_"]);
      sql.exec("INSERT INTO orgs (id, name, created_at, updated_at) VALUES ('org_1', 'o', ?, ?)", NOW, NOW);
      for (const p of ["provider_p", "provider_q"]) {
        sql.exec(
          "INSERT INTO llm_providers (id, org_id, name, provider_type, status, created_at, updated_at) VALUES (?, 'org_1', 'n', 'openai', 'active', ?, ?)",
          p,
          NOW,
          NOW,
        );
      }
      insertModel(sql, "model_1", "provider_p", "gpt");
      insertModel(sql, "model_2", "provider_p", "gpt");
      insertModel(sql, "model_3", "provider_p", "gpt", true);
      insertModel(sql, "model_4", "provider_p", "other");
      insertModel(sql, "model_5", "provider_q", "gpt");
      insertAgent(sql, "agent_a", "model_2");
      insertAgent(sql, "agent_b", "model_3");
      insertAgent(sql, "agent_c", "model_4");
      insertAgent(sql, "agent_d", null);
      migrate(sql, ["0004_"]);
      const models = sql.exec("SELECT id, provider_id, model_id, is_default FROM llm_models ORDER BY id").toArray();
      const agents = sql.exec("SELECT id, default_model_id FROM agents ORDER BY id").toArray();
      let duplicateRefused = false;
      try {
        insertModel(sql, "model_6", "provider_p", "gpt");
      } catch {
        duplicateRefused = true;
      }
      return { models, agents, duplicateRefused };
    });
    expect(result.models).toEqual([
      { id: "model_1", provider_id: "provider_p", model_id: "gpt", is_default: 1 },
      { id: "model_4", provider_id: "provider_p", model_id: "other", is_default: 0 },
      { id: "model_5", provider_id: "provider_q", model_id: "gpt", is_default: 0 },
    ]);
    expect(result.agents).toEqual([
      { id: "agent_a", default_model_id: "model_1" },
      { id: "agent_b", default_model_id: "model_1" },
      { id: "agent_c", default_model_id: "model_4" },
      { id: "agent_d", default_model_id: null },
    ]);
    expect(result.duplicateRefused).toBe(true);
  });

  it("changes nothing on a database without duplicates", async () => {
    const result = await onScratchDatabase((sql) => {
      migrate(sql, ["0000_", "0001_", "0002_", "0003_"]);
      sql.exec("INSERT INTO orgs (id, name, created_at, updated_at) VALUES ('org_1', 'o', ?, ?)", NOW, NOW);
      sql.exec(
        "INSERT INTO llm_providers (id, org_id, name, provider_type, status, created_at, updated_at) VALUES ('provider_p', 'org_1', 'n', 'openai', 'active', ?, ?)",
        NOW,
        NOW,
      );
      insertModel(sql, "model_1", "provider_p", "a", true);
      insertModel(sql, "model_2", "provider_p", "b");
      insertAgent(sql, "agent_a", "model_2");
      migrate(sql, ["0004_"]);
      return {
        models: sql.exec("SELECT id, is_default FROM llm_models ORDER BY id").toArray(),
        agents: sql.exec("SELECT id, default_model_id FROM agents").toArray(),
      };
    });
    expect(result.models).toEqual([
      { id: "model_1", is_default: 1 },
      { id: "model_2", is_default: 0 },
    ]);
    expect(result.agents).toEqual([{ id: "agent_a", default_model_id: "model_2" }]);
  });
});

describe("migration 0005: index rows of sessions that no object holds", () => {
  it("removes the rows migration 0001 left without data, and keeps every row a session object wrote", async () => {
    const result = await onScratchDatabase((sql) => {
      migrate(sql, ["0000_"]);
      sql.exec("INSERT INTO orgs (id, name, created_at, updated_at) VALUES ('org_1', 'o', ?, ?)", NOW, NOW);
      insertAgent(sql, "agent_a", null);
      const insertSession = (id: string) =>
        sql.exec(
          "INSERT INTO sessions (id, org_id, agent_id, tags, status, created_at, updated_at) VALUES (?, 'org_1', 'agent_a', '[]', 'idle', ?, ?)",
          id,
          NOW,
          NOW,
        );
      insertSession("session_legacy");
      migrate(sql, ["0001_", "0002_", "0003_", "0004_"]);
      insertSession("session_object");
      sql.exec("UPDATE sessions SET index_version = 3 WHERE id = 'session_object'");
      migrate(sql, ["0005_"]);
      return sql.exec("SELECT id FROM sessions ORDER BY id").toArray();
    });
    expect(result).toEqual([{ id: "session_object" }]);
  });
});

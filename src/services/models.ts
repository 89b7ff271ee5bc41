import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { llmModels } from "../db/schema";
import { ApiError } from "../lib/errors";

/** 422 `unknown_model` (naming the field) when a referenced model is not a model of this organization. */
export async function assertModelInOrg(db: Database, orgId: string, modelId: string | null | undefined, path: string): Promise<void> {
  if (!modelId) return;
  const found = await db
    .select({ id: llmModels.id })
    .from(llmModels)
    .where(and(eq(llmModels.id, modelId), eq(llmModels.orgId, orgId)))
    .get();
  if (!found)
    throw new ApiError("unknown_model", {
      detail: "The model does not exist in this organization",
      errors: [{ path, message: "Unknown model" }],
    });
}

import { describe, expect, it } from "vitest";
import { LOCAL_ORG_ID, LOCAL_USER_ID } from "../../src/services/principals";
import { captureConsole, jsonLines } from "../support/console";
import { callWith } from "../support/requests";

// The warning is once per isolate, so this must be the isolate's first AUTH_MODE=none request: no
// other module of the `defaults` project (deployed.test.ts and its imports, one isolate) sends one.
// Other none-mode tests live in auth-middleware.test.ts, in the api project.
describe("AUTH_MODE=none", () => {
  it("says so in one warning line per isolate, not one per request", async () => {
    const lines = jsonLines(
      await captureConsole(async () => {
        for (const path of ["/v1/auth/me", "/v1/agents", "/v1/orgs"]) {
          const res = await callWith({ AUTH_MODE: "none" }, path);
          expect(res.status, path).toBe(200);
          await res.body?.cancel();
        }
      }),
    );
    const warnings = lines.filter((l) => l.level === "warn");
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining("AUTH_MODE=none"),
        org_id: LOCAL_ORG_ID,
        user_id: LOCAL_USER_ID,
        request_id: expect.any(String),
      }),
    ]);
  });
});

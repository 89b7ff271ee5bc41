import type { Env } from "../env";

/** `none` only when explicitly configured; anything else (unset, typos) means auth is required. */
export function authMode(env: Pick<Env, "AUTH_MODE">): "required" | "none" {
  return env.AUTH_MODE === "none" ? "none" : "required";
}

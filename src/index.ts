import { createApp } from "./app";

// Every Durable Object class the Worker binds (wrangler.toml [[durable_objects.bindings]]):
// one per session, and the exact global counter of login and register attempts.
export { SessionObject } from "./session/session-object";
export { RateLimiter } from "./rate-limit/login-limiter-object";

const app = createApp();

export default app;

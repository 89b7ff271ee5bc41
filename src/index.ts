import { createApp } from "./app";

export { RateLimiter } from "./middleware/rate-limiter-object";
export { SessionObject } from "./session/session-object";

const app = createApp();

export default app;

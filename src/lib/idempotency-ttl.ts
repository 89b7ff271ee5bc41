/** How long an Idempotency-Key is remembered, in D1 and in a session object (the IETF draft's suggested 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

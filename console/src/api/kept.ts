/**
 * What the console keeps between reloads, all in sessionStorage under one prefix: it lasts as
 * long as the tab, is never shared with other tabs, and sign-out removes it in one sweep.
 * Never localStorage: see console/README.md for why.
 */
const PREFIX = "everruns-console:";

/** The stored JSON under `key`, or null when it is missing or unreadable. */
export function readKept<T>(key: string): T | null {
  try {
    const raw = sessionStorage.getItem(PREFIX + key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

/** Stores `value`; false when the browser refused (quota, storage disabled), so callers can fall back. */
export function writeKept(key: string, value: unknown): boolean {
  try {
    sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
    return true;
  } catch {
    dropKept(key);
    return false;
  }
}

export function dropKept(key: string): void {
  try {
    sessionStorage.removeItem(PREFIX + key);
  } catch {
    // storage disabled: nothing was kept
  }
}

/** Removes everything the console kept (sign-out). */
export function dropAllKept(): void {
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i -= 1) {
      const key = sessionStorage.key(i);
      if (key?.startsWith(PREFIX)) sessionStorage.removeItem(key);
    }
  } catch {
    // storage disabled: nothing was kept
  }
}

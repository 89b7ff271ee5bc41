/** What keeps the bookmark of a write made for a request outside its own D1 sessions. */
export interface BookmarkNotes {
  note(bookmark: string | null): void;
}

/**
 * The D1 sessions of one request (the Sessions API) and the newest bookmark any of them, or a
 * write done on the request's behalf elsewhere (a session object's index row), reached.
 */
export class D1Bookmarks implements BookmarkNotes {
  #sessions: D1DatabaseSession[] = [];
  #noted: string[] = [];

  /** Starts tracking a session the request reads and writes through. */
  track(session: D1DatabaseSession): D1DatabaseSession {
    this.#sessions.push(session);
    return session;
  }

  /** A bookmark of a write made for this request outside its sessions. */
  note(bookmark: string | null): void {
    if (bookmark) this.#noted.push(bookmark);
  }

  /** The newest bookmark seen (bookmarks sort oldest to newest), or null. */
  latest(): string | null {
    const all = [...this.#sessions.map((s) => s.getBookmark()), ...this.#noted].filter(
      (b): b is string => typeof b === "string" && b.length > 0,
    );
    return all.sort().at(-1) ?? null;
  }
}

// What waits on the signed-in person is decided by the console (`Snapshot.inbox`, with each
// item's notification already worded). What the window keeps is only its own memory: which
// items it already announced.

/**
 * Remembers what the person was already told. The first evaluation for a login is
 * the baseline (what already waited at start or at sign-in is counted, not
 * announced); after it, each item not seen before is announced once.
 */
export class InboxTracker<Item extends { id: string }> {
  #login: string | null | undefined = undefined;
  #seen: Set<string> | null = null;
  #count: number | null = null;

  /**
   * `count` is set when the number waiting changed (or was never reported);
   * `fresh` lists the items to announce.
   */
  update(items: readonly Item[], login: string | null): { count: number | null; fresh: Item[] } {
    if (login !== this.#login) {
      this.#login = login;
      this.#seen = null;
    }
    const count = items.length === this.#count ? null : items.length;
    this.#count = items.length;
    const ids = new Set(items.map((item) => item.id));
    const fresh = this.#seen === null ? [] : items.filter((item) => !this.#seen!.has(item.id));
    // Forget what stopped waiting, so it is announced again if it comes back.
    this.#seen = ids;
    return { count, fresh };
  }
}

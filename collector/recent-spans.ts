/**
 * The (trace id, span id) pairs this collector accepted lately, so a client's retry of a request whose answer it
 * lost is not stored twice (OTLP is at-least-once). Bounded: the oldest ids are forgotten first.
 */
export class RecentSpans {
  #seen = new Set<string>();
  #order: string[];
  #next = 0;

  constructor(capacity: number) {
    this.#order = new Array(capacity);
  }

  has(key: string): boolean {
    return this.#seen.has(key);
  }

  add(key: string): void {
    if (this.#seen.has(key)) return;
    const evicted = this.#order[this.#next];
    if (evicted !== undefined) this.#seen.delete(evicted);
    this.#order[this.#next] = key;
    this.#next = (this.#next + 1) % this.#order.length;
    this.#seen.add(key);
  }
}

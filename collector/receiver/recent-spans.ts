import { decodeFrames } from '../queue/spool.ts';

/** A span's identity: its trace id and span id, lowercase hex (32 + 16 characters), as the rows carry them. */
const WORDS = 6;

/**
 * The (trace id, span id) pairs this collector accepted lately, so a client's retry of a request whose answer it
 * lost is not stored twice (OTLP is at-least-once). Bounded: the oldest ids are forgotten first.
 *
 * Kept in typed arrays rather than a Set of strings: 200,000 ids take ~6 MB instead of ~30 MB of heap objects, and
 * V8 sizes the heap in proportion to what is live, so this also keeps the collector's peak memory down.
 */
export class RecentSpans {
  /** Ring of ids, WORDS 32-bit words each, oldest overwritten first. */
  readonly #ids: Uint32Array;
  /** Open addressing with linear probing: ring slot + 1, or 0 for empty. */
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #capacity: number;
  #next = 0;
  #size = 0;
  readonly #key = new Uint32Array(WORDS);

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
    this.#ids = new Uint32Array(this.#capacity * WORDS);
    let size = 1;
    while (size < this.#capacity * 2) size *= 2;
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
  }

  has(traceId: string, spanId: string): boolean {
    const key = this.#parse(traceId, spanId);
    return key !== undefined && this.#find(key) >= 0;
  }

  add(traceId: string, spanId: string): void {
    const key = this.#parse(traceId, spanId);
    if (key === undefined || this.#find(key) >= 0) return;
    const slot = this.#next;
    if (this.#size === this.#capacity) this.#remove(slot);
    else this.#size++;
    this.#ids.set(key, slot * WORDS);
    let at = this.#hash(key, 0);
    while (this.#table[at] !== 0) at = (at + 1) & this.#mask;
    this.#table[at] = slot + 1;
    this.#next = (slot + 1) % this.#capacity;
  }

  /**
   * The id as six words, or undefined when it is not 32 + 16 hex characters (never the case for the rows the
   * receiver builds): such an id is not remembered, so it can never be mistaken for another.
   */
  #parse(traceId: string, spanId: string): Uint32Array | undefined {
    if (traceId.length !== 32 || spanId.length !== 16) return undefined;
    const key = this.#key;
    for (let w = 0; w < WORDS; w++) {
      const source = w < 4 ? traceId : spanId;
      const start = w < 4 ? w * 8 : (w - 4) * 8;
      let word = 0;
      for (let i = start; i < start + 8; i++) {
        const digit = hexValue(source.charCodeAt(i));
        if (digit < 0) return undefined;
        word = (word << 4) | digit;
      }
      key[w] = word;
    }
    return key;
  }

  /** Span ids are random, so the span id's words hash well; `offset` picks the words of a stored slot. */
  #hash(words: Uint32Array, offset: number): number {
    return Math.imul(words[offset + 4]! ^ words[offset + 5]!, 0x9e3779b1) & this.#mask;
  }

  #find(key: Uint32Array): number {
    for (let at = this.#hash(key, 0); ; at = (at + 1) & this.#mask) {
      const entry = this.#table[at]!;
      if (entry === 0) return -1;
      const base = (entry - 1) * WORDS;
      let same = true;
      for (let w = 0; w < WORDS && same; w++) same = this.#ids[base + w] === key[w];
      if (same) return at;
    }
  }

  /** Forgets the id in `slot`, shifting later entries of its probe run back so lookups never stop early. */
  #remove(slot: number): void {
    let at = this.#hash(this.#ids, slot * WORDS);
    while (this.#table[at] !== slot + 1) at = (at + 1) & this.#mask;
    let hole = at;
    for (let probe = (hole + 1) & this.#mask; this.#table[probe] !== 0; probe = (probe + 1) & this.#mask) {
      const home = this.#hash(this.#ids, (this.#table[probe]! - 1) * WORDS);
      // The entry may move into the hole only if its home position is not cyclically within (hole, probe].
      const stays = hole <= probe ? home > hole && home <= probe : home > hole || home <= probe;
      if (!stays) {
        this.#table[hole] = this.#table[probe]!;
        hole = probe;
      }
    }
    this.#table[hole] = 0;
  }
}

/** 0-15 for a hex digit (either case), -1 otherwise. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * Refills `recent` from spooled records (oldest first), so that after a restart a client's retry of a request
 * that was fsynced but never answered is still recognised. Spool lines are JSONCompactEachRow rows of
 * otel_traces, which begin `["<Timestamp>","<TraceId>","<SpanId>",`. Returns how many ids were read.
 */
export function rememberSpooled(recent: RecentSpans, records: Iterable<Buffer>): number {
  let remembered = 0;
  for (const frames of records) {
    let body: Buffer;
    try {
      body = decodeFrames(frames).body;
    } catch {
      continue; // a damaged old segment: its ids are lost, never its acknowledged data (the spool skips it too)
    }
    for (let at = 0; at < body.length; ) {
      let end = body.indexOf(10, at);
      if (end === -1) end = body.length;
      const quote = body[at] === 0x5b ? body.indexOf('","', at) : -1;
      if (quote !== -1 && quote + 54 <= end) {
        recent.add(
          body.toString('latin1', quote + 3, quote + 35),
          body.toString('latin1', quote + 38, quote + 54),
        );
        remembered++;
      }
      at = end + 1;
    }
  }
  return remembered;
}

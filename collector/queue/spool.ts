import {
  closeSync,
  fsync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  write,
} from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

function writeAt(
  fd: number,
  data: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    write(fd, data, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))),
  );
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export interface SpoolOptions {
  dir: string;
  /** A new segment file is started past this size. */
  segmentBytes?: number;
  /** Told how long each group commit (write + fsync) took, in seconds. */
  onFsync?: (seconds: number) => void;
}

export interface SpoolBatch {
  /** The records as stored: length + crc32 headers and bodies (decode with decodeFrames). */
  frames: Buffer;
  /** The records' text, one row per line (JSONCompactEachRow in the collector's use); decoded on first use. */
  readonly payload: string;
  records: number;
  /** Identifies exactly these records: the same batch read again after a crash gets the same token. */
  token: string;
  start: Cursor;
  end: Cursor;
}

interface Cursor {
  segment: number;
  offset: number;
}

const HEADER = 8; // 4 bytes length + 4 bytes crc32

const NEWLINE = Buffer.from('\n');

/**
 * The records' bodies as views into the frames (no copy), each checked against its crc32, with a newline between
 * two records, and the number of rows (lines): what an insert streams as it is.
 */
export function frameBodies(frames: Uint8Array): { chunks: Buffer[]; rows: number; bytes: number } {
  const buf = Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength);
  const chunks: Buffer[] = [];
  let rows = 0;
  let bytes = 0;
  for (let at = 0; at + HEADER <= buf.length; ) {
    const length = buf.readUInt32LE(at);
    const record = buf.subarray(at + HEADER, at + HEADER + length);
    if (record.length !== length || crc32(record) !== buf.readUInt32LE(at + 4))
      throw new Error(`spool record at byte ${at} is corrupt`);
    if (chunks.length > 0) {
      chunks.push(NEWLINE);
      bytes++;
    }
    chunks.push(record);
    bytes += length;
    for (let i = record.indexOf(10); i !== -1; i = record.indexOf(10, i + 1)) rows++;
    rows++;
    at += HEADER + length;
  }
  return { chunks, rows, bytes };
}

/** Record bodies joined by newlines, each checked against its crc32, and the number of rows (lines). */
export function decodeFrames(frames: Uint8Array): { body: Buffer; rows: number } {
  const { chunks, rows, bytes } = frameBodies(frames);
  return { body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes), rows };
}

/**
 * Like decodeFrames, but the bodies are moved over the headers inside `frames` itself, so a batch of megabytes is
 * never copied: `frames` holds the body (a view at its start) afterwards, and is no longer a valid set of records.
 */
export function compactFrames(frames: Uint8Array): { body: Buffer; rows: number } {
  const buf = Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength);
  const { chunks, rows, bytes } = frameBodies(buf);
  let at = 0;
  for (const chunk of chunks) {
    if (chunk === NEWLINE) {
      buf[at++] = 10;
      continue;
    }
    // Each body moves towards the start, over bytes already read (copyWithin is a memmove, no copy allocated).
    const from = chunk.byteOffset - buf.byteOffset;
    buf.copyWithin(at, from, from + chunk.length);
    at += chunk.length;
  }
  return { body: buf.subarray(0, bytes), rows };
}

/** `body` (lines joined by newlines) as one spool record: what a batch's frames are once compacted and given back. */
export function recordOfBody(body: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafeSlow(HEADER + body.length);
  buf.set(body, HEADER);
  buf.writeUInt32LE(body.length, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

/**
 * One spool record (length + crc32 header, then the lines joined by newlines) in a buffer of its own, never from
 * Buffer's shared pool, so it can be handed to a worker thread without a copy.
 */
export function encodeRecord(lines: readonly string[]): Buffer {
  let length = Math.max(0, lines.length - 1);
  for (const line of lines) length += Buffer.byteLength(line, 'utf8');
  const buf = Buffer.allocUnsafeSlow(HEADER + length);
  let at = HEADER;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) buf[at++] = 10;
    at += buf.write(lines[i]!, at, 'utf8');
  }
  buf.writeUInt32LE(length, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

/** Some of a batch's rows as a batch of their own, with a token derived from the batch's (the same on a replay). */
export function partOfBatch(
  batch: SpoolBatch,
  lines: readonly string[],
  from: number,
  to: number,
): SpoolBatch {
  return batchOf(
    encodeRecord(lines.slice(from, to)),
    1,
    `${batch.token}/${from}-${to}`,
    batch.start,
    batch.end,
  );
}

function batchOf(frames: Buffer, records: number, token: string, start: Cursor, end: Cursor): SpoolBatch {
  let decoded: string | undefined;
  return {
    frames,
    records,
    token,
    start,
    end,
    get payload() {
      decoded ??= decodeFrames(this.frames).body.toString('utf8');
      return decoded;
    },
  };
}

function sameCursor(a: Cursor, b: Cursor): boolean {
  return a.segment === b.segment && a.offset === b.offset;
}

/** cursor.json: the committed cursor, and the batches handed out and not committed as [segment, offset, end]. */
interface SavedState extends Cursor {
  pending?: [number, number, number][];
}

const DEFAULTS = { segmentBytes: 64 * 1024 * 1024 };

/** A batch handed out and not yet committed, in the order batches were read. */
interface Claim {
  start: Cursor;
  end: Cursor;
  done: boolean;
}

/** Bytes appended together (one fsync) and when. */
interface Arrival {
  bytes: number;
  at: number;
}

/** Takes `bytes` off the oldest arrivals; none are left once nothing (`left`) remains. */
function takeOldest(arrivals: Arrival[], bytes: number, left: number): void {
  let taken = 0;
  while (bytes > 0 && taken < arrivals.length) {
    const oldest = arrivals[taken]!;
    const part = Math.min(bytes, oldest.bytes);
    oldest.bytes -= part;
    bytes -= part;
    if (oldest.bytes === 0) taken++;
  }
  if (taken > 0) arrivals.splice(0, taken);
  if (left === 0) arrivals.length = 0;
}

/**
 * A durable append-only queue on disk. `append` resolves only once the record is fsynced (concurrent appends share
 * one write + fsync: group commit). A reader takes batches (several may be out at once) and commits each after
 * ClickHouse confirmed it; the committed cursor moves past a batch once every batch before it is committed too.
 *
 * Every batch handed out is recorded on disk before it is returned, so after a crash the same records are read
 * again as the same batches, with the same tokens, however much was appended meanwhile: a batch that reached
 * ClickHouse just before the crash is then recognised by its token and not stored twice.
 */
export class Spool {
  #dir: string;
  #segmentBytes: number;
  #onFsync: ((seconds: number) => void) | undefined;
  #fd = -1;
  #segment = 0;
  #size = 0;
  /** Everything before this is in ClickHouse. */
  #cursor: Cursor = { segment: 0, offset: 0 };
  /** Batches handed out and not yet committed (recorded in cursor.json). */
  #claims: Claim[] = [];
  /** Batches a previous run had handed out and not committed: read again first, exactly as they were. */
  #replay: { start: Cursor; end: Cursor }[] = [];
  /** Where the next new batch starts. */
  #readAt: Cursor = { segment: 0, offset: 0 };
  /** Bytes appended and not yet handed out in a batch. */
  #unreadBytes = 0;
  /**
   * The bytes not yet handed out, by when they were appended (oldest first; 0 for what a previous run left): a
   * batch that takes some of them leaves the rest as old as they are, so the rest is due when its own age says.
   */
  #unreadArrivals: Arrival[] = [];
  #pending: { bufs: readonly Buffer[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  #saving: Promise<void> = Promise.resolve();
  #flushing = false;
  #inFlight: Promise<void> = Promise.resolve();
  /** Bytes appended and not yet committed by the reader. */
  #unsentBytes = 0;
  /** The same by when they were appended (what a previous run left: when this one started), for the backlog's age. */
  #unsentArrivals: Arrival[] = [];

  constructor(options: SpoolOptions) {
    this.#dir = options.dir;
    this.#segmentBytes = options.segmentBytes ?? DEFAULTS.segmentBytes;
    this.#onFsync = options.onFsync;
    mkdirSync(this.#dir, { recursive: true });
    this.#recover();
  }

  /** Bytes waiting for ClickHouse. */
  get unsentBytes(): number {
    return this.#unsentBytes;
  }

  /** When the oldest unsent record was appended (undefined when nothing waits); after a restart, the start time. */
  get oldestUnsentAt(): number | undefined {
    return this.#unsentArrivals[0]?.at;
  }

  /** Bytes not yet handed out in a batch. */
  get unreadBytes(): number {
    return this.#unreadBytes;
  }

  /** When the oldest record not yet handed out was appended (0 after a restart: due at once). */
  get oldestUnreadAt(): number | undefined {
    return this.#unreadArrivals[0]?.at;
  }

  /**
   * Appends one record, the lines joined by newlines; resolves once it is on disk (fsync). The lines are encoded
   * straight into the record's buffer: no joined string, which at a few hundred KB per request would be allocated
   * in V8's old generation and pile up there until a full collection.
   */
  append(lines: readonly string[]): Promise<void> {
    return this.appendRecords([encodeRecord(lines)]);
  }

  /** Appends records made by `encodeRecord`, all in one write; resolves once they are on disk (fsync). */
  appendRecords(bufs: readonly Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ bufs, resolve, reject });
      if (!this.#flushing) setImmediate(() => this.#flush());
    });
  }

  /** Writes and fsyncs everything queued, off the event loop (libuv thread pool); appends meanwhile form the next group. */
  #flush(): void {
    if (this.#flushing || this.#pending.length === 0) return;
    this.#flushing = true;
    const group = this.#pending.splice(0);
    this.#inFlight = (async () => {
      try {
        if (this.#size > 0 && this.#size >= this.#segmentBytes) this.#rotate();
        const started = performance.now();
        const bufs = group.flatMap((g) => g.bufs);
        const data = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
        let written = 0;
        while (written < data.length) {
          written += await writeAt(this.#fd, data, written, data.length - written, this.#size + written);
        }
        await fsyncFd(this.#fd);
        this.#onFsync?.((performance.now() - started) / 1000);
        // Only now may readers see the new records.
        this.#size += data.length;
        const at = Date.now();
        this.#unsentBytes += data.length;
        this.#unsentArrivals.push({ bytes: data.length, at });
        this.#unreadBytes += data.length;
        this.#unreadArrivals.push({ bytes: data.length, at });
        for (const g of group) g.resolve();
      } catch (error) {
        for (const g of group) g.reject(error as Error);
      } finally {
        this.#flushing = false;
        if (this.#pending.length > 0) setImmediate(() => this.#flush());
      }
    })();
  }

  /**
   * Hands out the next batch of up to `maxBytes` (at least one record), or undefined when everything has been handed
   * out: the records' bytes as stored (headers included), read in one call; decoding happens where the batch is
   * used. The batch is recorded on disk first, so a crash before its commit replays exactly these records.
   */
  async read(maxBytes: number): Promise<SpoolBatch | undefined> {
    const replay = this.#replay[0];
    const batch = replay
      ? this.#readRange(replay.start, replay.end.offset - replay.start.offset)
      : this.#readRange(this.#readAt, maxBytes);
    if (!batch) return undefined;
    if (replay) this.#replay.shift();
    else this.#readAt = batch.end;
    this.#claims.push({ start: batch.start, end: batch.end, done: false });
    this.#unreadBytes = Math.max(0, this.#unreadBytes - batch.frames.length);
    takeOldest(this.#unreadArrivals, batch.frames.length, this.#unreadBytes);
    await this.#save();
    return batch;
  }

  #readRange(from: Cursor, maxBytes: number): SpoolBatch | undefined {
    let { segment, offset } = from;
    let segSize = segment === this.#segment ? this.#size : this.#fileSize(segment);
    if (offset >= segSize) {
      const next = this.#segments().find((s) => s > segment);
      if (next === undefined) return undefined;
      segment = next;
      offset = 0;
      segSize = segment === this.#segment ? this.#size : this.#fileSize(segment);
      if (segSize === 0) return undefined;
    }
    const fd = segment === this.#segment ? this.#fd : openSync(this.#segmentPath(segment), 'r');
    try {
      const header = Buffer.alloc(HEADER);
      if (readSync(fd, header, 0, HEADER, offset) < HEADER) return undefined;
      const first = HEADER + header.readUInt32LE(0);
      const want = Math.min(segSize - offset, Math.max(maxBytes, first));
      // Never from Buffer's shared pool: the bytes may be handed to a worker thread without a copy.
      const frames = Buffer.allocUnsafeSlow(want);
      const got = readSync(fd, frames, 0, want, offset);
      let end = 0;
      let records = 0;
      while (end + HEADER <= got) {
        const length = HEADER + frames.readUInt32LE(end);
        if (end + length > got) break;
        end += length;
        records++;
      }
      if (records === 0) return undefined;
      return batchOf(
        frames.subarray(0, end),
        records,
        `${segment}:${offset}-${offset + end}`,
        { segment, offset },
        { segment, offset: offset + end },
      );
    } finally {
      if (fd !== this.#fd) closeSync(fd);
    }
  }

  /**
   * Marks a batch as in ClickHouse. The committed cursor advances (durably) over every batch, in read order, that
   * is committed; spent segments are removed.
   */
  async commit(batch: SpoolBatch): Promise<void> {
    const claim = this.#claims.find((c) => sameCursor(c.start, batch.start));
    if (!claim) throw new Error(`spool batch ${batch.token} is not outstanding`);
    claim.done = true;
    const before = this.#cursor;
    while (this.#claims[0]?.done) this.#cursor = this.#claims.shift()!.end;
    const consumed = this.#bytesBetween(before, this.#cursor);
    this.#unsentBytes = Math.max(0, this.#unsentBytes - consumed);
    takeOldest(this.#unsentArrivals, consumed, this.#unsentBytes);
    await this.#save();
    // The segment before the cursor's is kept too: the ids of recently acknowledged spans are rebuilt from the
    // segments on disk after a restart (see `retainedRecords`), so that history must outlive the commit.
    for (const s of this.#segments())
      if (s < this.#cursor.segment - 1) rmSync(this.#segmentPath(s), { force: true });
  }

  /**
   * The records still on disk, committed or not, oldest first: one buffer of frames (decode with decodeFrames) per
   * segment, read one at a time. At least the last whole segment's worth of acknowledged records is kept.
   */
  *retainedRecords(): Generator<Buffer> {
    for (const segment of this.#segments()) {
      const size = segment === this.#segment ? this.#size : this.#fileSize(segment);
      const frames = Buffer.allocUnsafe(size);
      const fd = segment === this.#segment ? this.#fd : openSync(this.#segmentPath(segment), 'r');
      try {
        const got = readSync(fd, frames, 0, size, 0);
        yield frames.subarray(0, got);
      } finally {
        if (fd !== this.#fd) closeSync(fd);
      }
    }
  }

  /**
   * Writes the committed cursor and the outstanding batches to cursor.json (atomically, fsynced) off the event
   * loop. Saves run one at a time, each writing the state as it is when it starts, so every caller's change is on
   * disk once its own save resolves.
   */
  #save(): Promise<void> {
    const saved = this.#saving.then(async () => {
      const state: SavedState = {
        ...this.#cursor,
        pending: [...this.#claims.filter((c) => !c.done), ...this.#replay].map((c) => [
          c.start.segment,
          c.start.offset,
          c.end.offset,
        ]),
      };
      const tmp = path.join(this.#dir, 'cursor.json.tmp');
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(JSON.stringify(state));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path.join(this.#dir, 'cursor.json'));
    });
    this.#saving = saved.catch(() => {});
    return saved;
  }

  /** Waits for the writes in flight, then closes the file. */
  async close(): Promise<void> {
    await this.#inFlight;
    await this.#saving;
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #bytesBetween(a: Cursor, b: Cursor): number {
    if (a.segment === b.segment) return b.offset - a.offset;
    let total = (a.segment === this.#segment ? this.#size : this.#fileSize(a.segment)) - a.offset;
    for (const s of this.#segments()) if (s > a.segment && s < b.segment) total += this.#fileSize(s);
    return total + b.offset;
  }

  /** On start: find the cursor and the batches that were out, cut a torn last record left by a crash, count what is unsent. */
  #recover(): void {
    let saved: SavedState | undefined;
    try {
      saved = JSON.parse(readFileSync(path.join(this.#dir, 'cursor.json'), 'utf8')) as SavedState;
    } catch {}
    const segments = this.#segments();
    this.#segment = segments.at(-1) ?? 1;
    const first = segments[0] ?? this.#segment;
    this.#cursor =
      saved && saved.segment >= first
        ? { segment: saved.segment, offset: saved.offset }
        : { segment: first, offset: 0 };
    this.#replay = (saved?.pending ?? [])
      .map(([segment, offset, end]) => ({ start: { segment, offset }, end: { segment, offset: end } }))
      .filter((r) => segments.includes(r.start.segment))
      .sort((a, b) => a.start.segment - b.start.segment || a.start.offset - b.start.offset);
    this.#fd = openSync(this.#segmentPath(this.#segment), 'a+');
    this.#size = this.#validLength(this.#segment);
    ftruncateSync(this.#fd, this.#size);
    const last = this.#replay.at(-1);
    this.#readAt = last ? last.end : this.#cursor;
    this.#unsentBytes = this.#bytesBetween(this.#cursor, { segment: this.#segment, offset: this.#size });
    this.#unreadBytes = this.#unsentBytes;
    if (this.#unsentBytes > 0) {
      this.#unsentArrivals = [{ bytes: this.#unsentBytes, at: Date.now() }];
      this.#unreadArrivals = [{ bytes: this.#unreadBytes, at: 0 }];
    }
  }

  #validLength(segment: number): number {
    const fd = openSync(this.#segmentPath(segment), 'r');
    try {
      const size = statSync(this.#segmentPath(segment)).size;
      let offset = 0;
      const header = Buffer.alloc(HEADER);
      while (offset + HEADER <= size) {
        readSync(fd, header, 0, HEADER, offset);
        const length = header.readUInt32LE(0);
        if (offset + HEADER + length > size) break;
        const body = Buffer.allocUnsafe(length);
        readSync(fd, body, 0, length, offset + HEADER);
        if (crc32(body) !== header.readUInt32LE(4)) break;
        offset += HEADER + length;
      }
      return offset;
    } finally {
      closeSync(fd);
    }
  }

  #rotate(): void {
    closeSync(this.#fd);
    this.#segment++;
    this.#size = 0;
    this.#fd = openSync(this.#segmentPath(this.#segment), 'a+');
  }

  #segments(): number[] {
    return readdirSync(this.#dir)
      .map((f) => /^seg-(\d{16})\.log$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  #segmentPath(segment: number): string {
    return path.join(this.#dir, `seg-${String(segment).padStart(16, '0')}.log`);
  }

  #fileSize(segment: number): number {
    try {
      return statSync(this.#segmentPath(segment)).size;
    } catch {
      return 0;
    }
  }
}

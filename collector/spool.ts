import {
  closeSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  write,
  writeFileSync,
} from 'node:fs';
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
  end: Cursor;
}

interface Cursor {
  segment: number;
  offset: number;
}

const HEADER = 8; // 4 bytes length + 4 bytes crc32

/** Record bodies joined by newlines, each checked against its crc32, and the number of rows (lines). */
export function decodeFrames(frames: Uint8Array): { body: Buffer; rows: number } {
  const buf = Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength);
  const body = Buffer.allocUnsafe(buf.length);
  let size = 0;
  let rows = 0;
  for (let at = 0; at + HEADER <= buf.length; ) {
    const length = buf.readUInt32LE(at);
    const record = buf.subarray(at + HEADER, at + HEADER + length);
    if (record.length !== length || crc32(record) !== buf.readUInt32LE(at + 4))
      throw new Error(`spool record at byte ${at} is corrupt`);
    if (size > 0) body[size++] = 10;
    size += record.copy(body, size);
    for (let i = record.indexOf(10); i !== -1; i = record.indexOf(10, i + 1)) rows++;
    rows++;
    at += HEADER + length;
  }
  return { body: body.subarray(0, size), rows };
}

function batchOf(frames: Buffer, records: number, token: string, end: Cursor): SpoolBatch {
  let decoded: string | undefined;
  return {
    frames,
    records,
    token,
    end,
    get payload() {
      decoded ??= decodeFrames(this.frames).body.toString('utf8');
      return decoded;
    },
  };
}
const DEFAULTS = { segmentBytes: 64 * 1024 * 1024 };

/**
 * A durable append-only queue on disk. `append` resolves only once the record is fsynced (concurrent appends share
 * one write + fsync: group commit). A reader takes batches from a committed cursor and commits after ClickHouse
 * confirmed, so a crash at any point replays what was not confirmed and loses nothing that was acknowledged.
 */
export class Spool {
  #dir: string;
  #segmentBytes: number;
  #onFsync: ((seconds: number) => void) | undefined;
  #fd = -1;
  #segment = 0;
  #size = 0;
  #cursor: Cursor = { segment: 0, offset: 0 };
  #pending: { buf: Buffer; resolve: () => void; reject: (e: Error) => void }[] = [];
  #flushing = false;
  #inFlight: Promise<void> = Promise.resolve();
  /** Bytes appended and not yet committed by the reader. */
  #unsentBytes = 0;
  #oldestUnsentAt: number | undefined;

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
    return this.#oldestUnsentAt;
  }

  /**
   * Appends one record, the lines joined by newlines; resolves once it is on disk (fsync). The lines are encoded
   * straight into the record's buffer: no joined string, which at a few hundred KB per request would be allocated
   * in V8's old generation and pile up there until a full collection.
   */
  append(lines: readonly string[]): Promise<void> {
    let length = Math.max(0, lines.length - 1);
    for (const line of lines) length += Buffer.byteLength(line, 'utf8');
    const buf = Buffer.allocUnsafe(HEADER + length);
    let at = HEADER;
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) buf[at++] = 10;
      at += buf.write(lines[i]!, at, 'utf8');
    }
    buf.writeUInt32LE(length, 0);
    buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
    return new Promise((resolve, reject) => {
      this.#pending.push({ buf, resolve, reject });
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
        const data = group.length === 1 ? group[0]!.buf : Buffer.concat(group.map((g) => g.buf));
        let written = 0;
        while (written < data.length) {
          written += await writeAt(this.#fd, data, written, data.length - written, this.#size + written);
        }
        await fsyncFd(this.#fd);
        this.#onFsync?.((performance.now() - started) / 1000);
        // Only now may readers see the new records.
        this.#size += data.length;
        this.#unsentBytes += data.length;
        this.#oldestUnsentAt ??= Date.now();
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
   * The next batch of up to `maxBytes` from the cursor (at least one record), or undefined when caught up: the
   * records' bytes as stored (headers included), read in one call; decoding happens where the batch is used.
   */
  read(maxBytes: number): SpoolBatch | undefined {
    let { segment, offset } = this.#cursor;
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
      return batchOf(frames.subarray(0, end), records, `${segment}:${offset}-${offset + end}`, {
        segment,
        offset: offset + end,
      });
    } finally {
      if (fd !== this.#fd) closeSync(fd);
    }
  }

  /** Marks everything up to `end` as confirmed: advances the cursor durably and removes spent segments. */
  commit(batch: SpoolBatch): void {
    const consumed = this.#bytesBetween(this.#cursor, batch.end);
    this.#cursor = batch.end;
    const tmp = path.join(this.#dir, 'cursor.json.tmp');
    writeFileSync(tmp, JSON.stringify(this.#cursor));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path.join(this.#dir, 'cursor.json'));
    for (const s of this.#segments())
      if (s < this.#cursor.segment) rmSync(this.#segmentPath(s), { force: true });
    this.#unsentBytes = Math.max(0, this.#unsentBytes - consumed);
    if (this.#unsentBytes === 0) this.#oldestUnsentAt = undefined;
    else this.#oldestUnsentAt = Date.now();
  }

  /** Waits for the write in flight, then closes the file. */
  async close(): Promise<void> {
    await this.#inFlight;
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #bytesBetween(a: Cursor, b: Cursor): number {
    if (a.segment === b.segment) return b.offset - a.offset;
    let total = (a.segment === this.#segment ? this.#size : this.#fileSize(a.segment)) - a.offset;
    for (const s of this.#segments()) if (s > a.segment && s < b.segment) total += this.#fileSize(s);
    return total + b.offset;
  }

  /** On start: find the cursor, cut a torn last record left by a crash, and count what is still unsent. */
  #recover(): void {
    let saved: Cursor | undefined;
    try {
      saved = JSON.parse(readFileSync(path.join(this.#dir, 'cursor.json'), 'utf8')) as Cursor;
    } catch {}
    const segments = this.#segments();
    this.#segment = segments.at(-1) ?? 1;
    const first = segments[0] ?? this.#segment;
    this.#cursor = saved && saved.segment >= first ? saved : { segment: first, offset: 0 };
    this.#fd = openSync(this.#segmentPath(this.#segment), 'a+');
    this.#size = this.#validLength(this.#segment);
    ftruncateSync(this.#fd, this.#size);
    this.#unsentBytes = this.#bytesBetween(this.#cursor, { segment: this.#segment, offset: this.#size });
    if (this.#unsentBytes > 0) this.#oldestUnsentAt = 0;
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

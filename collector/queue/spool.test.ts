import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compactFrames, decodeFrames, encodeRecord, frameBodies, recordOfBody, Spool } from './spool.ts';

const dirs: string[] = [];
async function spoolDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

const text = (frames: Buffer) => decodeFrames(frames).body.toString('utf8');

describe('the on-disk spool', () => {
  it('hands out appended records in order, several batches at once, and keeps nothing once all are committed', async () => {
    const spool = new Spool({ dir: await spoolDir() });
    await spool.append(['a1', 'a2']);
    await spool.append(['b1']);
    const first = (await spool.read(1))!;
    const second = (await spool.read(1))!;
    expect(text(first.frames)).toBe('a1\na2');
    expect(text(second.frames)).toBe('b1');
    expect(await spool.read(1)).toBeUndefined();
    await spool.commit(second);
    expect(spool.unsentBytes).toBeGreaterThan(0);
    await spool.commit(first);
    expect(spool.unsentBytes).toBe(0);
    await spool.close();
  });

  it('keeps the records a batch did not take as old as they are, so they are due when their own age says', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const spool = new Spool({ dir: await spoolDir() });
      expect(spool.oldestUnreadAt).toBeUndefined();
      await spool.append(['a1']);
      vi.setSystemTime(1_000_400);
      await spool.append(['b1']);
      vi.setSystemTime(1_000_900);
      await spool.append(['c1']);
      expect(spool.oldestUnreadAt).toBe(1_000_000);
      // A batch of one record (a full batch under a backlog): b1 and c1 stay as old as they were appended.
      vi.setSystemTime(1_002_000);
      expect(text((await spool.read(1))!.frames)).toBe('a1');
      expect(spool.oldestUnreadAt).toBe(1_000_400);
      expect(text((await spool.read(1))!.frames)).toBe('b1');
      expect(spool.oldestUnreadAt).toBe(1_000_900);
      await spool.read(1);
      expect(spool.oldestUnreadAt).toBeUndefined();
      expect(spool.unreadBytes).toBe(0);
      await spool.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports the backlog as old as its oldest unstored record: committing a batch does not make the rest young', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const dir = await spoolDir();
      const spool = new Spool({ dir });
      expect(spool.oldestUnsentAt).toBeUndefined();
      await spool.append(['a1']);
      vi.setSystemTime(1_060_000);
      await spool.append(['b1']);
      // ClickHouse slow: a batch an hour later; b1, acknowledged at 1_060_000, is still waiting.
      vi.setSystemTime(4_600_000);
      await spool.commit((await spool.read(1))!);
      expect(spool.oldestUnsentAt).toBe(1_060_000);
      await spool.close();
      // Restarted with b1 still on disk: its append time is not on disk, so the backlog counts from the start.
      vi.setSystemTime(5_000_000);
      const restarted = new Spool({ dir });
      expect(restarted.oldestUnsentAt).toBe(5_000_000);
      await restarted.commit((await restarted.read(1))!);
      expect(restarted.oldestUnsentAt).toBeUndefined();
      await restarted.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('after a crash, reads a batch that was out again as exactly the same records with the same token', async () => {
    const dir = await spoolDir();
    const before = new Spool({ dir });
    await before.append(['r1']);
    // Handed to ClickHouse, which may have stored it, when the process dies before the commit; more arrived meanwhile.
    const outstanding = (await before.read(1024 * 1024))!;
    await before.append(['r2']);
    await before.append(['r3']);
    await before.close();

    const after = new Spool({ dir });
    const replayed = (await after.read(1024 * 1024))!;
    expect(replayed.token).toBe(outstanding.token);
    expect(text(replayed.frames)).toBe('r1');
    const rest = (await after.read(1024 * 1024))!;
    expect(text(rest.frames)).toBe('r2\nr3');
    await after.commit(replayed);
    await after.commit(rest);
    await after.close();
    const reopened = new Spool({ dir });
    expect(await reopened.read(1024 * 1024)).toBeUndefined();
    await reopened.close();
  });

  it('after a crash, replays every batch not committed even when a later one was (commits move the cursor in order)', async () => {
    const dir = await spoolDir();
    const before = new Spool({ dir });
    await before.append(['x1']);
    const x = (await before.read(1))!;
    await before.append(['y1']);
    const y = (await before.read(1))!;
    await before.commit(y);
    await before.close();

    const after = new Spool({ dir });
    const again = (await after.read(1024 * 1024))!;
    expect([again.token, text(again.frames)]).toEqual([x.token, 'x1']);
    // y was confirmed, but the cursor could not pass x: it comes again with its own token, which ClickHouse drops.
    const yAgain = (await after.read(1024 * 1024))!;
    expect([yAgain.token, text(yAgain.frames)]).toEqual([y.token, 'y1']);
    expect(await after.read(1024 * 1024)).toBeUndefined();
    await after.close();
  });
});

describe('spool records, encoded and read back (property)', () => {
  // Lines as the receiver writes them: JSON rows, so no newline inside one; any other text, emoji and all.
  const line = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\n', ' '));
  const record = fc.array(line, { minLength: 1, maxLength: 8 });

  it("gives back every record's lines, in order, with their count, however the records are cut", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), (records) => {
        const frames = Buffer.concat(records.map((r) => encodeRecord(r)));
        const { body, rows } = decodeFrames(frames);
        expect(body.toString('utf8')).toBe(records.map((r) => r.join('\n')).join('\n'));
        expect(rows).toBe(records.reduce((n, r) => n + r.length, 0));
        const { chunks, bytes } = frameBodies(frames);
        expect(Buffer.concat(chunks).equals(body)).toBe(true);
        expect(bytes).toBe(body.length);
      }),
    );
  });

  it('compacts records into the same body inside their own bytes, which then make one record of the same lines', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), fc.nat(16), (records, offset) => {
        // The frames as a worker receives them: a view that need not start at its buffer's first byte.
        const stored = Buffer.concat(records.map((r) => encodeRecord(r)));
        const frames = new Uint8Array(offset + stored.length).subarray(offset);
        frames.set(stored);
        const expected = decodeFrames(stored);
        const { body, rows } = compactFrames(frames);
        expect(body.toString('utf8')).toBe(expected.body.toString('utf8'));
        expect(rows).toBe(expected.rows);
        expect(body.buffer).toBe(frames.buffer);
        expect(decodeFrames(recordOfBody(body))).toEqual(expected);
      }),
    );
  });

  it('refuses a record whose bytes changed on disk (crc32), wherever the change is', () => {
    fc.assert(
      fc.property(record, fc.nat(), fc.integer({ min: 1, max: 255 }), (lines, at, flip) => {
        const frames = encodeRecord(lines);
        const i = 8 + (at % Math.max(1, frames.length - 8));
        fc.pre(i < frames.length);
        frames[i] = frames[i]! ^ flip;
        expect(() => decodeFrames(frames)).toThrow(/corrupt/);
      }),
    );
  });
});

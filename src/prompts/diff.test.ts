import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DiffHunk, diffFields, diffText } from './diff.ts';
import { stableJson } from './stable-json.ts';

/** Applies hunks to the old text, as `patch` would: the result must be the new text. */
function apply(before: string, hunks: DiffHunk[]): string {
  const old = before.split('\n');
  const out: string[] = [];
  let next = 0; // index into old
  for (const h of hunks) {
    const start = h.old_lines === 0 ? h.old_start : h.old_start - 1;
    while (next < start) out.push(old[next++]!);
    for (const line of h.lines) {
      if (line[0] === ' ') {
        expect(old[next]).toBe(line.slice(1));
        out.push(old[next++]!);
      } else if (line[0] === '-') {
        expect(old[next]).toBe(line.slice(1));
        next++;
      } else out.push(line.slice(1));
    }
  }
  while (next < old.length) out.push(old[next++]!);
  return out.join('\n');
}

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');

describe('diff', () => {
  it('shows hunks as diff -u does: header, context, removed and added lines', () => {
    const d = diffText('a\nb\nc', 'a\nB\nc\nd');
    expect(d.unified).toBe('@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d');
    expect(d).toMatchObject({ added: 2, removed: 1, approximate: false });
  });

  it('keeps 3 lines of context and splits far-apart changes into hunks', () => {
    const before = lines(30, (i) => `line ${i}`);
    const after = before.replace('line 2\n', 'LINE 2\n').replace('line 25\n', 'LINE 25\n');
    const d = diffText(before, after);
    expect(d.hunks.map((h) => [h.old_start, h.old_lines, h.new_start, h.new_lines])).toEqual([
      [1, 6, 1, 6],
      [23, 7, 23, 7],
    ]);
    expect(d.unified.split('\n')[0]).toBe('@@ -1,6 +1,6 @@');
  });

  it('has no hunks for equal texts and tells a missing final newline apart', () => {
    expect(diffText('same', 'same')).toEqual({
      unified: '',
      hunks: [],
      added: 0,
      removed: 0,
      approximate: false,
    });
    expect(diffText('a', 'a\n')).toMatchObject({ added: 1, removed: 0 });
  });

  it('property: applying the hunks to the old text gives the new text (300 random pairs)', () => {
    const text = fc
      .array(fc.constantFrom('a', 'b', 'c', '', 'd d', '{{x}}'), { maxLength: 40 })
      .map((l) => l.join('\n'));
    fc.assert(
      fc.property(text, text, (before, after) => {
        const d = diffText(before, after);
        expect(apply(before, d.hunks)).toBe(after);
        expect(d.approximate).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('two 20,000-line versions with edits every 50 lines: an exact diff in well under 100 MB', () => {
    const before = lines(20_000, (i) => `Step ${i}: answer the question about {{topic}} carefully.`);
    const after = lines(20_000, (i) =>
      i % 50 === 0
        ? `Step ${i}: answer briefly.`
        : `Step ${i}: answer the question about {{topic}} carefully.`,
    );
    // Heap and array buffers: a table of (n+1)(m+1) counters would be 1.6 GB here.
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before0 = used();
    const d = diffText(before, after);
    expect(used() - before0).toBeLessThan(100 * 1024 * 1024);
    expect(d).toMatchObject({ added: 400, removed: 400, approximate: false });
    expect(apply(before, d.hunks)).toBe(after);
  });

  it('two 100,000-line versions that share nothing: every line replaced, bounded in time and memory', () => {
    const before = lines(100_000, (i) => `old ${i}`);
    const after = lines(100_000, (i) => `new ${i}`);
    const rss = process.memoryUsage().rss;
    const d = diffText(before, after, { timeoutMs: 200 });
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
    expect(d).toMatchObject({ added: 100_000, removed: 100_000, approximate: true });
    expect(apply(before, d.hunks)).toBe(after);
  });

  it('lists only the fields whose value changed', () => {
    expect(diffFields({ t: 0.7, m: 'x', v: [1] }, { t: 0.2, m: 'x', v: [1] })).toEqual({
      t: { from: 0.7, to: 0.2 },
    });
  });

  it('serialises objects the same whatever their key order', () => {
    expect(stableJson({ b: 1, a: { d: 2, c: 3 } })).toBe(stableJson({ a: { c: 3, d: 2 }, b: 1 }));
  });
});

import { structuredPatch } from 'diff';
import { stableJson } from './stable-json.ts';

/** One hunk of a unified diff: where it starts and how many lines it spans on each side, and its lines. */
export interface DiffHunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  /** Each line prefixed ' ' (context), '-' (removed) or '+' (added). */
  lines: string[];
}

export interface TextDiff {
  /** The hunks as unified-diff text (`@@ -a,b +c,d @@` headers, 3 lines of context), for people and terminals. */
  unified: string;
  hunks: DiffHunk[];
  added: number;
  removed: number;
  /**
   * True when the texts differ so much that finding the shortest edit would take longer than `timeoutMs`: the diff
   * is then every old line removed and every new line added (correct, not minimal).
   */
  approximate: boolean;
}

/**
 * A line diff with hunks. jsdiff's Myers diff runs in O((N+M)·D) time and linear space, so a version of 100,000 short
 * lines with a few edits diffs in milliseconds; a diff that would take longer than `timeoutMs` (texts that share
 * little) falls back to replacing everything, rather than holding a request (and the process) for minutes.
 */
export function diffText(
  before: string,
  after: string,
  options: { timeoutMs?: number; context?: number } = {},
): TextDiff {
  if (before === after) return { unified: '', hunks: [], added: 0, removed: 0, approximate: false };
  // Both end in a newline, so a text without a final newline gets no "\ No newline" marker line.
  const patch = structuredPatch('before', 'after', `${before}\n`, `${after}\n`, '', '', {
    context: options.context ?? 3,
    timeout: options.timeoutMs ?? 1_000,
  });
  const hunks: DiffHunk[] = patch
    ? patch.hunks.map((h) => ({
        old_start: h.oldStart,
        old_lines: h.oldLines,
        new_start: h.newStart,
        new_lines: h.newLines,
        lines: h.lines,
      }))
    : [replaceAll(before, after)];
  let added = 0;
  let removed = 0;
  for (const h of hunks)
    for (const line of h.lines) {
      if (line[0] === '+') added++;
      else if (line[0] === '-') removed++;
    }
  return { unified: hunks.map(formatHunk).join('\n'), hunks, added, removed, approximate: !patch };
}

function replaceAll(before: string, after: string): DiffHunk {
  const a = before.split('\n');
  const b = after.split('\n');
  return {
    old_start: 1,
    old_lines: a.length,
    new_start: 1,
    new_lines: b.length,
    lines: [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)],
  };
}

function formatHunk(h: DiffHunk): string {
  // As diff -u writes it: a count of 1 is left out; an empty side starts one line earlier.
  const range = (start: number, count: number) =>
    count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
  return [`@@ -${range(h.old_start, h.old_lines)} +${range(h.new_start, h.new_lines)} @@`, ...h.lines].join(
    '\n',
  );
}

/** Fields whose JSON differs between two objects, with both values. */
export function diffFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (stableJson(before[key]) !== stableJson(after[key]))
      out[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return out;
}

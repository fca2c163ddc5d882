import { describe, expect, it } from 'vitest';
import { diffFields, diffLines, formatUnified, stableJson } from './diff.ts';

describe('diff', () => {
  it('shows removed and added lines around common ones', () => {
    expect(formatUnified(diffLines('a\nb\nc', 'a\nB\nc\nd'))).toBe(' a\n-b\n+B\n c\n+d');
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

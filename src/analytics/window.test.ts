import { describe, expect, it } from 'vitest';
import { parseWindow } from './llm-calls.ts';

describe('an analytics window (durations as the alert rules write them, whole seconds, 366 days at most)', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['1h', 3_600],
    ['1h30m', 5_400],
    ['7d', 604_800],
    ['1w', 604_800],
    ['366d', 31_622_400],
  ])('%s is %i s', (text, seconds) => {
    expect(parseWindow(text)).toBe(seconds);
  });

  it.each(['', '0s', '1500ms', '367d', '1y', '1 h', 'h', '-1h', '1H'])('%j is not a window', (text) => {
    expect(parseWindow(text)).toBeUndefined();
  });
});

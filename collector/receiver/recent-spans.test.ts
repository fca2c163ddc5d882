import { describe, expect, it } from 'vitest';
import { RecentSpans } from './recent-spans.ts';

const trace = (n: number) => n.toString(16).padStart(32, '0');
const span = (n: number) => (n * 2654435761).toString(16).padStart(16, '0').slice(-16);

describe('recently accepted span ids', () => {
  it('remembers an accepted span and tells it apart from spans that differ in either id', () => {
    const recent = new RecentSpans(10);
    recent.add('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174');
    expect(recent.has('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174')).toBe(true);
    expect(recent.has('5b8efff798038103d269b633813fc60d', 'eee19b7ec3c1b174')).toBe(false);
    expect(recent.has('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b175')).toBe(false);
  });

  it('forgets the oldest ids first once full, and still finds every id it keeps', () => {
    const recent = new RecentSpans(1000);
    for (let i = 0; i < 5000; i++) recent.add(trace(i), span(i));
    for (let i = 0; i < 4000; i++) expect(recent.has(trace(i), span(i))).toBe(false);
    for (let i = 4000; i < 5000; i++) expect(recent.has(trace(i), span(i))).toBe(true);
  });

  it('keeps ids that share a span id (colliding buckets) apart through evictions', () => {
    const recent = new RecentSpans(64);
    for (let i = 0; i < 200; i++) recent.add(trace(i), 'aaaaaaaaaaaaaaaa');
    for (let i = 0; i < 136; i++) expect(recent.has(trace(i), 'aaaaaaaaaaaaaaaa')).toBe(false);
    for (let i = 136; i < 200; i++) expect(recent.has(trace(i), 'aaaaaaaaaaaaaaaa')).toBe(true);
  });

  it('does not remember ids that are not hex of the right length, so none is mistaken for another', () => {
    const recent = new RecentSpans(10);
    recent.add('not-a-trace-id', 'eee19b7ec3c1b174');
    recent.add('5b8efff798038103d269b633813fc60z', 'eee19b7ec3c1b174');
    expect(recent.has('not-a-trace-id', 'eee19b7ec3c1b174')).toBe(false);
    expect(recent.has('5b8efff798038103d269b633813fc60z', 'eee19b7ec3c1b174')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { type Active, advance, type Instance, RESOLVED_RETENTION_MS } from './state-machine.ts';

const MIN = 60_000;
const T = Date.parse('2026-01-05T10:00:00Z');
const labels = { alertname: 'HighErrorRate', template: 'checkout' };

function instance(over: Partial<Instance>): Instance {
  return {
    fingerprint: 'fp',
    labels,
    annotations: {},
    state: 'pending',
    value: 0.1,
    activeAt: T,
    firedAt: null,
    resolvedAt: null,
    keepFiringSince: null,
    lastEvaluatedAt: T,
    ...over,
  };
}

const found = (value = 0.2): Map<string, Active> => new Map([['fp', { labels, annotations: {}, value }]]);
const nothing = () => new Map<string, Active>();

type Case = {
  name: string;
  before: Partial<Instance> | undefined;
  active: boolean;
  at: number;
  rule?: { forMs?: number; keepFiringForMs?: number };
  after: Partial<Instance> | undefined;
  transition?: [string, string];
};

const cases: Case[] = [
  {
    name: 'new, for 0: fires at the first evaluation',
    before: undefined,
    active: true,
    at: T,
    rule: { forMs: 0 },
    after: { state: 'firing', activeAt: T, firedAt: T },
    transition: ['inactive', 'firing'],
  },
  {
    name: 'new, for 5m: pending',
    before: undefined,
    active: true,
    at: T,
    rule: { forMs: 5 * MIN },
    after: { state: 'pending', activeAt: T, firedAt: null },
    transition: ['inactive', 'pending'],
  },
  {
    name: 'pending, still active before `for`: stays pending, clock kept',
    before: { state: 'pending', activeAt: T },
    active: true,
    at: T + 4 * MIN,
    rule: { forMs: 5 * MIN },
    after: { state: 'pending', activeAt: T, value: 0.2 },
  },
  {
    name: 'pending, active when `for` has passed: fires',
    before: { state: 'pending', activeAt: T },
    active: true,
    at: T + 5 * MIN,
    rule: { forMs: 5 * MIN },
    after: { state: 'firing', activeAt: T, firedAt: T + 5 * MIN },
    transition: ['pending', 'firing'],
  },
  {
    name: 'pending, absent once: dropped (the `for` clock restarts)',
    before: { state: 'pending', activeAt: T },
    active: false,
    at: T + 2 * MIN,
    rule: { forMs: 5 * MIN },
    after: undefined,
    transition: ['pending', 'inactive'],
  },
  {
    name: 'firing, still active: value refreshed, fired time kept',
    before: { state: 'firing', activeAt: T, firedAt: T },
    active: true,
    at: T + MIN,
    after: { state: 'firing', activeAt: T, firedAt: T, value: 0.2 },
  },
  {
    name: 'firing, absent: resolved',
    before: { state: 'firing', activeAt: T, firedAt: T },
    active: false,
    at: T + MIN,
    after: { state: 'resolved', resolvedAt: T + MIN },
    transition: ['firing', 'resolved'],
  },
  {
    name: 'firing, absent with keep_firing_for: keeps firing, remembers since when',
    before: { state: 'firing', activeAt: T, firedAt: T },
    active: false,
    at: T + MIN,
    rule: { keepFiringForMs: 5 * MIN },
    after: { state: 'firing', keepFiringSince: T + MIN },
  },
  {
    name: 'keeping fire, still absent within keep_firing_for: firing',
    before: { state: 'firing', activeAt: T, firedAt: T, keepFiringSince: T + MIN },
    active: false,
    at: T + 5 * MIN,
    rule: { keepFiringForMs: 5 * MIN },
    after: { state: 'firing', keepFiringSince: T + MIN },
  },
  {
    name: 'keeping fire, absent for keep_firing_for: resolved',
    before: { state: 'firing', activeAt: T, firedAt: T, keepFiringSince: T + MIN },
    active: false,
    at: T + 6 * MIN,
    rule: { keepFiringForMs: 5 * MIN },
    after: { state: 'resolved', resolvedAt: T + 6 * MIN, keepFiringSince: null },
    transition: ['firing', 'resolved'],
  },
  {
    name: 'keeping fire, active again: firing, keep clock cleared',
    before: { state: 'firing', activeAt: T, firedAt: T, keepFiringSince: T + MIN },
    active: true,
    at: T + 2 * MIN,
    rule: { keepFiringForMs: 5 * MIN },
    after: { state: 'firing', keepFiringSince: null, firedAt: T },
  },
  {
    name: 'resolved, active again: a new episode starts pending',
    before: { state: 'resolved', activeAt: T, firedAt: T, resolvedAt: T + MIN },
    active: true,
    at: T + 3 * MIN,
    rule: { forMs: 5 * MIN },
    after: { state: 'pending', activeAt: T + 3 * MIN, firedAt: null, resolvedAt: null },
    transition: ['inactive', 'pending'],
  },
  {
    name: 'resolved, absent within 15 minutes: kept (to be re-sent)',
    before: { state: 'resolved', activeAt: T, firedAt: T, resolvedAt: T + MIN },
    active: false,
    at: T + MIN + RESOLVED_RETENTION_MS - 1,
    after: { state: 'resolved', resolvedAt: T + MIN },
  },
  {
    name: 'resolved, absent for 15 minutes: forgotten',
    before: { state: 'resolved', activeAt: T, firedAt: T, resolvedAt: T + MIN },
    active: false,
    at: T + MIN + RESOLVED_RETENTION_MS,
    after: undefined,
  },
  {
    name: '`for` raised while firing: back to pending',
    before: { state: 'firing', activeAt: T, firedAt: T + MIN },
    active: true,
    at: T + 2 * MIN,
    rule: { forMs: 10 * MIN },
    after: { state: 'pending', activeAt: T, firedAt: null },
    transition: ['firing', 'pending'],
  },
];

describe('the alert state machine (Prometheus semantics)', () => {
  it.each(cases)('$name', ({ before, active, at, rule, after, transition }) => {
    const previous = new Map(before ? [['fp', instance(before)]] : []);
    const out = advance(
      previous,
      active ? found() : nothing(),
      { forMs: 0, keepFiringForMs: 0, ...rule },
      at,
    );
    const next = out.instances.get('fp');
    if (after === undefined) expect(next).toBeUndefined();
    else expect(next).toMatchObject(after);
    expect(out.transitions.map((t) => [t.from, t.to])).toEqual(transition ? [transition] : []);
  });

  it('fires after exactly `for` of consecutive evaluations, and a single miss restarts the clock', () => {
    const rule = { forMs: 3 * MIN, keepFiringForMs: 0 };
    let state = new Map<string, Instance>();
    const states: string[] = [];
    for (const [minute, isActive] of [
      [0, true],
      [1, true],
      [2, false],
      [3, true],
      [4, true],
      [5, true],
      [6, true],
    ] as const) {
      state = advance(state, isActive ? found() : nothing(), rule, T + minute * MIN).instances;
      states.push(state.get('fp')?.state ?? 'inactive');
    }
    expect(states).toEqual(['pending', 'pending', 'inactive', 'pending', 'pending', 'pending', 'firing']);
  });
});

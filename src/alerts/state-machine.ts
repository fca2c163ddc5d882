import type { Labels } from './labels.ts';

/**
 * The per-instance state machine of a Prometheus alerting rule (rules/alerting.go): inactive → pending → firing →
 * resolved. Pure: the evaluator feeds it what the query found at an evaluation time and stores what comes out.
 */

export type InstanceState = 'pending' | 'firing' | 'resolved';

export interface Instance {
  fingerprint: string;
  labels: Labels;
  annotations: Labels;
  state: InstanceState;
  value: number | null;
  /** Unix ms when the condition first held in this episode: the `for` clock. */
  activeAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  /** First evaluation the condition stopped holding while firing (keep_firing_for). */
  keepFiringSince: number | null;
  lastEvaluatedAt: number;
}

/** An instance the query found active at this evaluation. */
export interface Active {
  labels: Labels;
  annotations: Labels;
  value: number | null;
}

export interface Transition {
  fingerprint: string;
  labels: Labels;
  from: InstanceState | 'inactive';
  to: InstanceState | 'inactive';
  value: number | null;
}

/** Resolved instances are kept this long (and re-sent), as Prometheus does, then forgotten. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/**
 * One evaluation at `ts`: `active` holds every instance whose condition holds now, by fingerprint. Instances not in
 * it stop being active (a pending one is dropped at once; a firing one resolves, after keep_firing_for).
 */
export function advance(
  previous: ReadonlyMap<string, Instance>,
  active: ReadonlyMap<string, Active>,
  rule: { forMs: number; keepFiringForMs: number },
  ts: number,
): { instances: Map<string, Instance>; transitions: Transition[] } {
  const instances = new Map<string, Instance>();
  const transitions: Transition[] = [];
  const move = (i: Instance, from: Transition['from'], to: Transition['to']) =>
    transitions.push({ fingerprint: i.fingerprint, labels: i.labels, from, to, value: i.value });

  for (const [fingerprint, found] of active) {
    const before = previous.get(fingerprint);
    const fresh = !before || before.state === 'resolved';
    const next: Instance = fresh
      ? {
          fingerprint,
          ...found,
          state: 'pending',
          activeAt: ts,
          firedAt: null,
          resolvedAt: null,
          keepFiringSince: null,
          lastEvaluatedAt: ts,
        }
      : {
          ...before,
          labels: found.labels,
          annotations: found.annotations,
          value: found.value,
          keepFiringSince: null,
          lastEvaluatedAt: ts,
        };
    const from: Transition['from'] = fresh ? 'inactive' : before.state;
    if (ts - next.activeAt >= rule.forMs) {
      next.state = 'firing';
      next.firedAt ??= ts;
    } else {
      // Still inside `for` (or `for` was raised while firing: back to pending, as Prometheus does).
      next.state = 'pending';
      next.firedAt = null;
    }
    if (from !== next.state) move(next, from, next.state);
    instances.set(fingerprint, next);
  }

  for (const [fingerprint, before] of previous) {
    if (active.has(fingerprint)) continue;
    if (before.state === 'pending') {
      move(before, 'pending', 'inactive');
      continue;
    }
    if (before.state === 'resolved') {
      if (ts - before.resolvedAt! < RESOLVED_RETENTION_MS) instances.set(fingerprint, before);
      continue;
    }
    const keepSince = before.keepFiringSince ?? ts;
    if (rule.keepFiringForMs > 0 && ts - keepSince < rule.keepFiringForMs) {
      instances.set(fingerprint, { ...before, keepFiringSince: keepSince, lastEvaluatedAt: ts });
      continue;
    }
    const resolved: Instance = {
      ...before,
      state: 'resolved',
      resolvedAt: ts,
      keepFiringSince: null,
      lastEvaluatedAt: ts,
    };
    move(resolved, 'firing', 'resolved');
    instances.set(fingerprint, resolved);
  }
  return { instances, transitions };
}

/** When the exporter sends, as plain functions of what the queue holds and the time (table-tested on their own). */

export interface QueueState {
  unreadBytes: number;
  /** When the oldest unread record was appended (ms since the epoch); undefined when nothing waits. */
  oldestUnreadAt: number | undefined;
  now: number;
  batchBytes: number;
  flushIntervalMs: number;
}

/**
 * 0 when a batch is due (a full batch waits, or the oldest waiting record is a flush interval old), else how many ms
 * to wait before looking again: until the oldest record comes of age (at least 5 ms), or a whole interval when the
 * queue is empty.
 */
export function batchDue(q: QueueState): number {
  if (q.unreadBytes >= q.batchBytes) return 0;
  if (q.oldestUnreadAt === undefined) return q.flushIntervalMs;
  const age = q.now - q.oldestUnreadAt;
  if (age >= q.flushIntervalMs) return 0;
  return Math.min(q.flushIntervalMs, Math.max(5, q.flushIntervalMs - age));
}

/** The wait after a failed insert that already waited `current` ms: doubled, up to `max`. */
export function nextBackoff(current: number, max: number): number {
  return Math.min(current * 2, max);
}

/**
 * Crash points for the fault-injection tests: with `PROMPTSCOPE_FAILPOINT=<point>[:<n>]` the process SIGKILLs itself
 * the n-th time (the first by default) it passes that point, exactly where a power cut would hurt most. Without the
 * variable each check is a string comparison.
 */
const [armed = '', nth = '1'] = (process.env.PROMPTSCOPE_FAILPOINT ?? '').split(':');
let hits = 0;

export type Failpoint =
  /** Spans are fsynced in the spool, the client has not been answered. */
  | 'after-fsync'
  /** ClickHouse took a batch, the spool has not recorded it. */
  | 'after-insert';

export function failpoint(point: Failpoint): void {
  if (point === armed && ++hits >= Number(nth)) process.kill(process.pid, 'SIGKILL');
}

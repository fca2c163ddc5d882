import type { Logger } from '../platform/log.ts';
import type { ReservedSql, Sql } from './postgres.ts';

/**
 * Leadership among processes sharing a Postgres: a session-level advisory lock held on a reserved connection. One
 * process holds it; the others try again whenever they ask. It is let go when the holder stops, and lost (then asked
 * for again) when its session ends: a Postgres restart or a broken connection.
 */
export class LeaderLock {
  readonly #sql: Sql;
  readonly #key: number;
  readonly #log: Logger;
  readonly #role: string;
  #conn: ReservedSql | undefined;

  /** `role` names what the holder does, for the log ("the active alert evaluator"). */
  constructor(sql: Sql, key: number, log: Logger, role: string) {
    this.#sql = sql;
    this.#key = key;
    this.#log = log;
    this.#role = role;
  }

  get held(): boolean {
    return this.#conn !== undefined;
  }

  /** Whether this process holds the lock now, taking it when it is free. */
  async holds(): Promise<boolean> {
    try {
      if (!this.#conn) {
        const conn = await this.#sql.reserve();
        const [row] = await conn<{ locked: boolean }[]>`select pg_try_advisory_lock(${this.#key}) as locked`;
        if (!row?.locked) {
          conn.release();
          return false;
        }
        this.#conn = conn;
        this.#log.info(`this process is now ${this.#role}`);
        return true;
      }
      // Still ours? (A Postgres restart or a broken connection ends the session and frees the lock.)
      const [row] = await this.#conn<{ held: boolean }[]>`select exists (select 1 from pg_locks
        where locktype = 'advisory' and objid = ${this.#key} and pid = pg_backend_pid() and granted) as held`;
      if (row?.held) return true;
      throw new Error('advisory lock lost');
    } catch (error) {
      if (this.#conn) {
        this.#log.warn(`no longer ${this.#role}`, { error: (error as Error).message });
        this.#conn.release();
        this.#conn = undefined;
      }
      return false;
    }
  }

  /** Lets the lock go (on stop), so another process takes over at once. */
  async release(): Promise<void> {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = undefined;
    await conn`select pg_advisory_unlock(${this.#key})`.catch(() => {});
    conn.release();
  }
}

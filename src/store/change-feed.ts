import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/log.ts';
import type { Queryable, Sql } from './postgres.ts';

/** What changed, so that every API instance can drop what it cached. */
export type ChangeEvent = { kind: 'prompt'; name: string } | { kind: 'key'; id: string };

/** A change this instance publishes to itself to learn that everything committed before it has arrived. */
type Marker = { kind: 'marker'; id: string };

const CHANNEL = 'promptscope_changes';

/** Tells every instance listening on this Postgres that something changed (delivered on commit). */
export async function publishChange(sql: Queryable, event: ChangeEvent): Promise<void> {
  await sql`select pg_notify(${CHANNEL}, ${JSON.stringify(event)})`;
}

/**
 * Every change published by any instance (this one included), as Postgres delivers them: in commit order. Caches
 * subscribe here and only here. `caughtUp()` lets a request that changed something wait until its own change has
 * come back, so the instance that made a change reads it at once (read-your-writes) without a second way of
 * invalidating.
 */
export class ChangeFeed {
  readonly #sql: Sql;
  readonly #handlers: ((event: ChangeEvent) => void)[] = [];
  readonly #markers = new Map<string, () => void>();
  #unlisten: (() => Promise<void>) | undefined;

  private constructor(sql: Sql) {
    this.#sql = sql;
  }

  static async start(sql: Sql, log: Logger): Promise<ChangeFeed> {
    const feed = new ChangeFeed(sql);
    let listening = false;
    const { unlisten } = await sql.listen(
      CHANNEL,
      (payload) => {
        let event: ChangeEvent | Marker;
        try {
          event = JSON.parse(payload) as ChangeEvent | Marker;
        } catch (error) {
          log.warn('ignoring malformed change notification', { error });
          return;
        }
        if (event.kind === 'marker') feed.#markers.get(event.id)?.();
        else feed.#deliver(event, log);
      },
      // Called on every (re)connect; after a reconnect notifications may have been missed: drop everything cached.
      () => {
        if (listening) feed.#deliver({ kind: 'prompt', name: '*' }, log);
        listening = true;
      },
    );
    feed.#unlisten = unlisten;
    return feed;
  }

  on(handler: (event: ChangeEvent) => void): void {
    this.#handlers.push(handler);
  }

  /** Resolves once every change committed before this call has reached this instance's handlers. */
  async caughtUp(timeoutMs = 5_000): Promise<void> {
    const id = randomUUID();
    const arrived = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs); // a lost notification must not hang the request
      this.#markers.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await this
        .#sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ kind: 'marker', id } satisfies Marker)})`;
      await arrived;
    } finally {
      this.#markers.delete(id);
    }
  }

  async close(): Promise<void> {
    await this.#unlisten?.();
  }

  #deliver(event: ChangeEvent, log: Logger): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        log.error('a change handler failed', { error, event });
      }
    }
  }
}

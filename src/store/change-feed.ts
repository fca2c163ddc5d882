import type { Logger } from '../log.ts';
import type { Queryable, Sql } from './postgres.ts';

/** What changed, so that every API instance can drop what it cached. */
export type ChangeEvent = { kind: 'prompt'; name: string } | { kind: 'key'; id: string };

const CHANNEL = 'promptscope_changes';

/** Tells every instance listening on this Postgres that something changed (delivered on commit). */
export async function publishChange(sql: Queryable, event: ChangeEvent): Promise<void> {
  await sql`select pg_notify(${CHANNEL}, ${JSON.stringify(event)})`;
}

/** Calls handler for every change published by any instance, this one included. */
export async function subscribeChanges(
  sql: Sql,
  handler: (event: ChangeEvent) => void,
  log: Logger,
): Promise<() => Promise<void>> {
  let listening = false;
  const { unlisten } = await sql.listen(
    CHANNEL,
    (payload) => {
      try {
        handler(JSON.parse(payload) as ChangeEvent);
      } catch (error) {
        log.warn('ignoring malformed change notification', { error });
      }
    },
    // Called on every (re)connect; after a reconnect notifications may have been missed: drop everything cached.
    () => {
      if (listening) handler({ kind: 'prompt', name: '*' });
      listening = true;
    },
  );
  return unlisten;
}

import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { frameBodies, type SpoolBatch } from '../../queue/spool.ts';
import { OTEL_COLUMNS } from '../../span-row.ts';

/** Settings of every insert into otel_traces besides its token: the client's insert and chDB's raw insert alike. */
export const OTEL_INSERT_SETTINGS = {
  // A retried insert whose rows reached otel_traces but not every view below it completes the views.
  deduplicate_blocks_in_dependent_materialized_views: 1,
  // otel_traces has a partition per day: a batch whose spans lie on more than 100 days (clients with bad clocks, a
  // replay of old data) would otherwise be refused whole on every retry, and hold up the spool behind it.
  max_partitions_per_insert_block: '0',
} as const;

/** `INSERT INTO otel_traces (…) FORMAT JSONCompactEachRow`: positional rows parse faster than keyed objects. */
export const OTEL_INSERT = `INSERT INTO otel_traces (${OTEL_COLUMNS.map((c) => `\`${c}\``).join(', ')}) FORMAT JSONCompactEachRow`;

/**
 * Inserts a spooled batch into otel_traces with a token that makes a retried batch a no-op; resolves with the number
 * of rows.
 */
export function otelTracesInsert(
  client: ClickHouseClient,
  instanceId: string,
): (batch: SpoolBatch) => Promise<number> {
  return async (batch) => {
    // The rows are already JSONCompactEachRow text: their bytes go to ClickHouse as the spool holds them, never
    // decoded into a string or copied.
    const { chunks, rows } = frameBodies(batch.frames);
    const result = await client.exec({
      query: OTEL_INSERT,
      values: Readable.from(chunks, { objectMode: false }),
      clickhouse_settings: {
        insert_deduplication_token: `${instanceId}:${batch.token}`,
        ...OTEL_INSERT_SETTINGS,
      },
    });
    result.stream.resume();
    return rows;
  };
}

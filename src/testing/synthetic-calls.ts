import type { ClickHouseClient } from '../store/clickhouse.ts';

const DAY = 86_400_000;

/**
 * Synthetic calls from `from` over 30 days, as spans the sdk writes, generated inside ClickHouse (the load generator
 * is not what is measured): llm_calls is filled by its materialized view as in production. `table`: where the spans
 * go (a shard table in the cluster stand-in test).
 */
export async function loadSyntheticCalls(
  client: ClickHouseClient,
  from: number,
  calls: number,
  table = 'otel_traces',
): Promise<void> {
  await client.command({
    query: `INSERT INTO ${table} (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
          SpanAttributes, Duration, StatusCode)
        SELECT
          fromUnixTimestamp64Milli(toInt64(${from} + intDiv(number * ${30 * DAY}, ${calls}))) AS Timestamp,
          lower(hex(cityHash64(number, 't'))) || lower(hex(cityHash64(number, 'u'))) AS TraceId,
          lower(hex(cityHash64(number, 's'))) AS SpanId,
          concat('generate_content ', model) AS SpanName,
          'Client' AS SpanKind,
          concat('service-', toString(number % 7)) AS ServiceName,
          map('service.name', concat('service-', toString(number % 7)), 'deployment.environment.name', 'prod') AS ResourceAttributes,
          map('gen_ai.operation.name', 'generate_content',
              'gen_ai.provider.name', 'gcp.gemini',
              'gen_ai.request.model', model,
              'gen_ai.prompt.name', concat('template-', toString(number % 50)),
              'gen_ai.prompt.version', toString(1 + intDiv(number, 50) % 3),
              'promptscope.prompt.label', 'production',
              'promptscope.prompt.variant', toString(1 + intDiv(number, 50) % 3),
              'gen_ai.usage.input_tokens', toString(200 + number % 1800),
              'gen_ai.usage.cache_read.input_tokens', toString(number % 5 = 0 ? 100 : 0),
              'gen_ai.usage.output_tokens', toString(20 + number % 400),
              'gen_ai.usage.cost.amount', toString(toDecimal64((200 + number % 1800) * 0.0000003 + (20 + number % 400) * 0.0000025, 12)),
              'gen_ai.usage.cost.currency', 'USD',
              -- Who: 100,000 users in 200 tenants, a session per 10 calls.
              'user.id', concat('user-', toString(number % 100000)),
              'promptscope.tenant', concat('tenant-', toString(number % 100000 % 200)),
              'session.id', concat('session-', toString(intDiv(number, 10)))) AS SpanAttributes,
          toUInt64(50000000 + cityHash64(number, 'd') % 20000000000) AS Duration,
          if(number % 20 = 0, 'Error', 'Ok') AS StatusCode
        FROM (SELECT number, ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-3-pro-preview'][1 + number % 5] AS model
              FROM numbers(${calls}))
        SETTINGS max_insert_threads = 2, max_threads = 2`,
  });
}

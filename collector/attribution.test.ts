import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import {
  collectorOnTestClickHouse,
  eventually,
  exportSpans,
  otlpExporter,
  rows,
  serviceSpans,
} from '../test/support/collector.ts';
import type { RunningCollector } from './collector.ts';

interface Attribution {
  user_id: string;
  session_id: string;
  conversation_id: string;
  tenant: string;
  properties: Record<string, string>;
}

const CALL = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
};

/** Who and what each call is for, as the sdk and other instrumentations write it, lands in llm_calls' columns. */
describe('attribution in llm_calls', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse());
  });
  afterAll(() => collector.stop());

  it.each([
    [
      'the sdk (withAttribution)',
      {
        'user.id': 'u-1',
        'session.id': 's-1',
        'gen_ai.conversation.id': 'c-1',
        'promptscope.tenant': 'acme',
        'promptscope.property.feature': 'search',
        'promptscope.property.plan': 'pro',
      },
      {
        user_id: 'u-1',
        session_id: 's-1',
        conversation_id: 'c-1',
        tenant: 'acme',
        properties: { feature: 'search', plan: 'pro' },
      },
    ],
    [
      "Langfuse's names",
      { 'langfuse.user.id': 'u-2', 'langfuse.session.id': 's-2' },
      { user_id: 'u-2', session_id: 's-2', conversation_id: '', tenant: '', properties: {} },
    ],
    [
      "OpenLLMetry's association properties",
      {
        'traceloop.association.properties.user_id': 'u-3',
        'traceloop.association.properties.session_id': 's-3',
        'traceloop.association.properties.feature': 'summarise',
      },
      {
        user_id: 'u-3',
        session_id: 's-3',
        conversation_id: '',
        tenant: '',
        properties: { feature: 'summarise' },
      },
    ],
    [
      "OpenInference's (the semantic-convention names)",
      { 'user.id': 'u-4', 'session.id': 's-4' },
      { user_id: 'u-4', session_id: 's-4', conversation_id: '', tenant: '', properties: {} },
    ],
    [
      'nothing: empty, never a guess',
      {},
      { user_id: '', session_id: '', conversation_id: '', tenant: '', properties: {} },
    ],
    [
      'the semantic-convention name wins over the others',
      { 'user.id': 'u-5', 'langfuse.user.id': 'other', 'promptscope.property.empty': '' },
      { user_id: 'u-5', session_id: '', conversation_id: '', tenant: '', properties: {} },
    ],
  ] as [string, Record<string, string>, Attribution][])('%s', async (_, attributes, expected) => {
    const span = serviceSpans('attribution-svc')({ ...CALL, ...attributes });
    expect(await exportSpans(otlpExporter(collector.url, 'protobuf', false), [span])).toBe(0);
    const id = span.spanContext().spanId;
    const [row] = await eventually(
      () =>
        rows<Attribution>(
          client,
          `SELECT user_id, session_id, conversation_id, tenant, properties FROM llm_calls FINAL WHERE span_id = '${id}'`,
        ).then((r) => (r.length ? r : undefined)),
      'the call in llm_calls',
    );
    expect(row).toEqual(expected);
  });
});

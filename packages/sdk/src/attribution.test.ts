import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTelemetry } from '../../../test/support/spans.ts';
import { ATTRIBUTION_LIMITS } from './attribution.ts';

const call = (telemetry: ReturnType<typeof recordingTelemetry>['telemetry']) =>
  telemetry.traceCall({ provider: 'gcp.gemini', model: 'gemini-2.5-flash' }, async (r) => {
    r.response({ usage: { gemini: { promptTokenCount: 10, candidatesTokenCount: 5 } } });
    return 'ok';
  });

describe('attribution: who and what an LLM call is for', () => {
  it('lands on every LLM span inside the request, across awaits, and on no span the service made itself', async () => {
    const { telemetry, spans, provider } = recordingTelemetry();
    await telemetry.withAttribution(
      {
        userId: 'u-42',
        sessionId: 's-7',
        conversationId: 'c-1',
        tenant: 'acme',
        properties: { feature: 'search', beta: true },
      },
      async () => {
        await new Promise((r) => setTimeout(r, 5));
        await call(telemetry);
        provider.getTracer('service').startSpan('db.query').end();
        await Promise.all([call(telemetry), call(telemetry)]);
      },
    );
    await call(telemetry); // after the request: none
    const all = await spans();
    const llm = all.filter((s) => s.name.startsWith('generate_content'));
    expect(llm).toHaveLength(4);
    for (const s of llm.slice(0, 3))
      expect(s.attributes).toMatchObject({
        'user.id': 'u-42',
        'session.id': 's-7',
        'gen_ai.conversation.id': 'c-1',
        'promptscope.tenant': 'acme',
        'promptscope.property.feature': 'search',
        'promptscope.property.beta': 'true',
      });
    expect(
      Object.keys(llm[3]!.attributes).filter((k) => /^(user|session)\.|tenant|property/.test(k)),
    ).toEqual([]);
    const own = all.find((s) => s.name === 'db.query')!;
    expect(Object.keys(own.attributes)).toEqual([]);
  });

  it('an inner call refines the outer one: same keys replaced, others kept', async () => {
    const { telemetry, onlySpan } = recordingTelemetry();
    await telemetry.withAttribution({ tenant: 'acme', properties: { feature: 'search' } }, () =>
      telemetry.withAttribution({ userId: 'u-1', properties: { feature: 'chat' } }, () => call(telemetry)),
    );
    expect((await onlySpan()).attributes).toMatchObject({
      'promptscope.tenant': 'acme',
      'user.id': 'u-1',
      'promptscope.property.feature': 'chat',
    });
  });

  it.each([
    [
      'a value over the length limit',
      { userId: 'x'.repeat(ATTRIBUTION_LIMITS.valueLength + 1) },
      'user.id',
      1,
    ],
    ['an empty value', { tenant: '' }, 'promptscope.tenant', 1],
    [
      'a property name with a space',
      { properties: { 'my feature': 'x' } },
      'promptscope.property.my feature',
      1,
    ],
    [
      'a property name over the limit',
      { properties: { ['p'.repeat(65)]: 'x' } },
      `promptscope.property.${'p'.repeat(65)}`,
      1,
    ],
  ])('leaves out %s, and counts it', async (_, attribution, key, dropped) => {
    const { telemetry, onlySpan } = recordingTelemetry();
    await telemetry.withAttribution(attribution, () => call(telemetry));
    expect((await onlySpan()).attributes[key]).toBeUndefined();
    expect(telemetry.stats().attributionDropped).toBe(dropped);
  });

  it(`keeps at most ${ATTRIBUTION_LIMITS.properties} properties per request`, async () => {
    const { telemetry, onlySpan } = recordingTelemetry();
    const properties = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`p${i}`, i]));
    await telemetry.withAttribution({ properties }, () => call(telemetry));
    const kept = Object.keys((await onlySpan()).attributes).filter((k) =>
      k.startsWith('promptscope.property.'),
    );
    expect(kept).toHaveLength(ATTRIBUTION_LIMITS.properties);
    expect(telemetry.stats().attributionDropped).toBe(5);
  });

  describe('with an OpenTelemetry context manager and the W3C baggage propagator (what startTelemetry sets)', () => {
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CBaggagePropagator());
    });
    afterAll(() => {
      context.disable();
      propagation.disable();
    });

    it('goes out with outgoing requests as the baggage header', async () => {
      const { telemetry } = recordingTelemetry();
      const headers: Record<string, string> = {};
      await telemetry.withAttribution({ userId: 'u-42', tenant: 'acme corp' }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        propagation.inject(context.active(), headers);
      });
      expect(headers.baggage?.split(',').sort()).toEqual(['promptscope.tenant=acme%20corp', 'user.id=u-42']);
      expect(trace.getActiveSpan()).toBeUndefined();
    });
  });
});

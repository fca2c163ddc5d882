import {
  type Context,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTelemetry } from '../../../test/support/spans.ts';
import { CallContext } from './call-context.ts';

const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');
const KEYS = [SPAN_KEY, ...['a', 'b', 'c'].map((k) => createContextKey(`test ${k}`))];

describe('CallContext', () => {
  const { provider } = recordingTelemetry();
  const tracer = provider.getTracer('test');

  it('reads, writes and deletes exactly as trace.setSpan(parent, span) does', () => {
    const spans = [tracer.startSpan('llm'), tracer.startSpan('other')];
    const op = fc.oneof(
      fc.record({
        set: fc.constantFrom(...KEYS),
        value: fc.constantFrom<unknown>(1, 'x', spans[1], undefined),
      }),
      fc.record({ delete: fc.constantFrom(...KEYS) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 4 }), fc.array(op, { maxLength: 4 }), (before, after) => {
        const apply = (c: Context, ops: typeof before) =>
          ops.reduce((c, o) => ('set' in o ? c.setValue(o.set, o.value) : c.deleteValue(o.delete)), c);
        const parent = apply(ROOT_CONTEXT, before);
        const ours = apply(new CallContext(parent, spans[0] as Span), after);
        const theirs = apply(trace.setSpan(parent, spans[0] as Span), after);
        for (const key of KEYS) expect(ours.getValue(key)).toBe(theirs.getValue(key));
      }),
    );
  });

  describe('as the active context of an LLM call, with a context manager and W3C propagators (what startTelemetry sets)', () => {
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(
        new CompositePropagator({
          propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
        }),
      );
    });
    afterAll(() => {
      context.disable();
      propagation.disable();
    });

    it('parents work inside the call to the LLM span and sends its trace and the attribution on', async () => {
      const { telemetry, spans, provider } = recordingTelemetry();
      const tracer = provider.getTracer('service');
      const headers: Record<string, string> = {};
      let active: Span | undefined;
      await tracer.startActiveSpan('request', async (request) => {
        await telemetry.withAttribution({ tenant: 'acme' }, () =>
          telemetry.traceCall({ provider: 'gcp.gemini', model: 'gemini-2.5-flash' }, async () => {
            await new Promise((r) => setTimeout(r, 1));
            active = trace.getActiveSpan();
            tracer.startSpan('http POST').end();
            propagation.inject(context.active(), headers);
          }),
        );
        request.end();
      });
      const byName = new Map((await spans()).map((s) => [s.name, s]));
      const llm = byName.get('generate_content gemini-2.5-flash')!;
      const http = byName.get('http POST')!;
      const request = byName.get('request')!;
      expect(active?.spanContext().spanId).toBe(llm.spanContext().spanId);
      expect(llm.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(http.parentSpanContext?.spanId).toBe(llm.spanContext().spanId);
      expect(headers.traceparent).toBe(`00-${llm.spanContext().traceId}-${llm.spanContext().spanId}-01`);
      expect(headers.baggage).toBe('promptscope.tenant=acme');
      expect(trace.getActiveSpan()).toBeUndefined();
    });
  });
});

import { describe, expect, it } from 'vitest';
import { recordingTelemetry } from '../../../test/support/spans.ts';

describe('traceCall with a response reader', () => {
  it('records what the reader reads and ends the span with the call', async () => {
    const { telemetry, onlySpan } = recordingTelemetry();
    const value = await telemetry.traceCall(
      { provider: 'gcp.gemini', model: 'gemini-2.5-flash' },
      async () => ({ id: 'r-1' }),
      (v) => ({ responseId: v.id }),
    );
    expect(value).toEqual({ id: 'r-1' });
    const span = await onlySpan();
    expect(span.attributes['gen_ai.response.id']).toBe('r-1');
    expect(span.ended).toBe(true);
  });

  it('counts a reader that throws as its own failure: the caller still gets its value and the span ends', async () => {
    const errors: unknown[] = [];
    const { telemetry, onlySpan } = recordingTelemetry({ onInternalError: (e) => errors.push(e) });
    const value = await telemetry.traceCall(
      { provider: 'gcp.gemini', model: 'gemini-2.5-flash' },
      async () => 'the answer',
      () => {
        throw new Error('unreadable response');
      },
    );
    expect(value).toBe('the answer');
    expect(telemetry.stats().internalErrors).toBe(1);
    expect(errors).toEqual([new Error('unreadable response')]);
    const span = await onlySpan();
    expect(span.ended).toBe(true);
    expect(span.status.code).not.toBe(2);
  });
});

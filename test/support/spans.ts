import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import { LlmTelemetry, type LlmTelemetryOptions } from '#sdk';

/** A tracer provider recording into memory, an LlmTelemetry on it, and helpers to read the spans back. */
export function recordingTelemetry(options: Omit<LlmTelemetryOptions, 'tracerProvider'> = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const telemetry = new LlmTelemetry({
    disabled: false,
    captureContent: false,
    ...options,
    tracerProvider: provider,
  });
  const spans = async (): Promise<ReadableSpan[]> => {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  };
  return {
    exporter,
    provider,
    telemetry,
    spans,
    /** The one span recorded since the last reset (fails the test otherwise). */
    async onlySpan(): Promise<ReadableSpan> {
      const all = await spans();
      expect(all).toHaveLength(1);
      return all[0]!;
    },
  };
}

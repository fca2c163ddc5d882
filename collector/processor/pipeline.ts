import type { OtelTraceRow } from '../span-row.ts';

/** One step every decoded span goes through before the spool (pricing a span that came without a cost, …). */
export interface SpanStage {
  name: string;
  /** Changes the row in place; a throw rejects the span, with the reason in partial_success. */
  apply(row: OtelTraceRow, startNanos: bigint): void;
}

/**
 * The collector's pipeline, in one place: decode (span by span, into otel_traces rows) → each stage in order → the
 * sink (the spool). The receiver decodes, runs each row through `apply`, and spools what comes out.
 */
export class SpanPipeline {
  readonly stages: readonly SpanStage[];

  constructor(stages: readonly SpanStage[]) {
    this.stages = stages;
  }

  /** Runs every stage on a decoded row, in order; a stage that throws rejects the span. */
  apply(row: OtelTraceRow, startNanos: bigint): void {
    for (const stage of this.stages) stage.apply(row, startNanos);
  }
}

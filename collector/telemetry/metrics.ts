import { Counter, countedBy, gaugedBy, Histogram, Registry } from '../../src/platform/metrics.ts';

/** What the collector's gauges read at scrape time: the spool's and the receiver's state. */
export interface CollectorGauges {
  spoolBytes: number;
  spoolOldestAgeSeconds: number;
  inFlightBytes: number;
  inFlightBytesPeak: number;
}

const NO_GAUGES: CollectorGauges = {
  spoolBytes: 0,
  spoolOldestAgeSeconds: 0,
  inFlightBytes: 0,
  inFlightBytesPeak: 0,
};

/**
 * The collector's self-metrics in their own prom-client registry (served at /metrics with the process's default
 * metrics). Counts the hot path bumps on every request are plain numbers, read at scrape time.
 */
export class CollectorMetrics {
  readonly registry = new Registry();
  /** OTLP requests answered, by HTTP status. */
  readonly requests = new Map<string, number>();
  spansReceived = 0;
  spansAccepted = 0;
  spansRejected = 0;
  spansDuplicate = 0;
  spansWritten = 0;
  insertRetries = 0;
  insertFailuresPermanent = 0;
  rowsDeadLettered = 0;
  batchesSplit = 0;
  genAiSpansUnclassified = 0;
  readonly insertDuration: Histogram;
  readonly fsyncDuration: Histogram;
  #gauges: () => CollectorGauges = () => NO_GAUGES;

  constructor() {
    const r = this.registry;
    const requests = this.requests;
    new Counter({
      name: 'promptscope_collector_requests_total',
      help: 'OTLP requests answered, by HTTP status',
      labelNames: ['status'],
      registers: [r],
      collect() {
        this.reset();
        for (const [status, n] of requests) this.inc({ status }, n);
      },
    });
    const counted = (name: string, help: string, read: () => number) => countedBy(r, name, help, read);
    counted(
      'promptscope_collector_spans_received_total',
      'Spans in requests that were decoded',
      () => this.spansReceived,
    );
    counted(
      'promptscope_collector_spans_accepted_total',
      'Spans acknowledged (on disk in the spool)',
      () => this.spansAccepted,
    );
    counted(
      'promptscope_collector_spans_rejected_total',
      'Spans refused as invalid (reported in partial_success)',
      () => this.spansRejected,
    );
    counted(
      'promptscope_collector_spans_duplicate_total',
      'Spans acknowledged again without storing (client retries)',
      () => this.spansDuplicate,
    );
    counted(
      'promptscope_collector_spans_written_total',
      'Spans ClickHouse confirmed',
      () => this.spansWritten,
    );
    counted(
      'promptscope_collector_insert_retries_total',
      'Inserts retried after a retryable failure',
      () => this.insertRetries,
    );
    counted(
      'promptscope_collector_insert_failures_permanent_total',
      'Row groups ClickHouse refused as malformed, moved to the dead-letter folder',
      () => this.insertFailuresPermanent,
    );
    counted(
      'promptscope_collector_rows_dead_lettered_total',
      'Rows ClickHouse refused as malformed, moved to the dead-letter folder',
      () => this.rowsDeadLettered,
    );
    counted(
      'promptscope_collector_batches_split_total',
      'Batches ClickHouse refused, split to isolate the bad rows',
      () => this.batchesSplit,
    );
    counted(
      'promptscope_collector_genai_spans_unclassified_total',
      'Spans with gen_ai.* or llm.* attributes that are not recognisable LLM calls (stored in otel_traces, not in llm_calls)',
      () => this.genAiSpansUnclassified,
    );
    const gauged = (name: string, help: string, read: (g: CollectorGauges) => number) =>
      gaugedBy(r, name, help, () => read(this.#gauges()));
    gauged(
      'promptscope_collector_spool_bytes',
      'Bytes acknowledged but not yet in ClickHouse',
      (g) => g.spoolBytes,
    );
    gauged(
      'promptscope_collector_spool_oldest_age_seconds',
      'Age of the oldest unsent spool record',
      (g) => g.spoolOldestAgeSeconds,
    );
    gauged(
      'promptscope_collector_inflight_bytes',
      'Request bytes held now (received, inflated, awaiting fsync)',
      (g) => g.inFlightBytes,
    );
    gauged(
      'promptscope_collector_inflight_bytes_peak',
      'Most request bytes ever held at once since start',
      (g) => g.inFlightBytesPeak,
    );
    this.insertDuration = new Histogram({
      name: 'promptscope_collector_insert_duration_seconds',
      help: 'ClickHouse insert latency',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    this.fsyncDuration = new Histogram({
      name: 'promptscope_collector_spool_fsync_duration_seconds',
      help: 'Spool write + fsync latency per group commit (what every acknowledgement waits for)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [r],
    });
  }

  /** Where the gauges read the spool's and the receiver's state (set once the collector has them). */
  readGaugesFrom(read: () => CollectorGauges): void {
    this.#gauges = read;
  }

  countRequest(status: number): void {
    const key = String(status);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  observeInsert(seconds: number, rows: number): void {
    this.spansWritten += rows;
    this.insertDuration.observe(seconds);
  }
}

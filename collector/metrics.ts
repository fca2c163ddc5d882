/** The collector's self-metrics, rendered in the Prometheus text format at /metrics. */
export class CollectorMetrics {
  requests = new Map<string, number>();
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
  readonly insertDuration = new Histogram([0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  readonly fsyncDuration = new Histogram([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);

  countRequest(status: number): void {
    const key = String(status);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  observeInsert(seconds: number, rows: number): void {
    this.spansWritten += rows;
    this.insertDuration.observe(seconds);
  }

  render(gauges: {
    spoolBytes: number;
    spoolOldestAgeSeconds: number;
    inFlightBytes: number;
    inFlightBytesPeak: number;
  }): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number) =>
      lines.push(...metric(name, 'counter', help, value));
    lines.push(
      '# HELP promptscope_collector_requests_total OTLP requests answered, by HTTP status',
      '# TYPE promptscope_collector_requests_total counter',
    );
    for (const [status, n] of [...this.requests].sort())
      lines.push(`promptscope_collector_requests_total{status="${status}"} ${n}`);
    counter(
      'promptscope_collector_spans_received_total',
      'Spans in requests that were decoded',
      this.spansReceived,
    );
    counter(
      'promptscope_collector_spans_accepted_total',
      'Spans acknowledged (on disk in the spool)',
      this.spansAccepted,
    );
    counter(
      'promptscope_collector_spans_rejected_total',
      'Spans refused as invalid (reported in partial_success)',
      this.spansRejected,
    );
    counter(
      'promptscope_collector_spans_duplicate_total',
      'Spans acknowledged again without storing (client retries)',
      this.spansDuplicate,
    );
    counter('promptscope_collector_spans_written_total', 'Spans ClickHouse confirmed', this.spansWritten);
    counter(
      'promptscope_collector_insert_retries_total',
      'Inserts retried after a retryable failure',
      this.insertRetries,
    );
    counter(
      'promptscope_collector_insert_failures_permanent_total',
      'Row groups ClickHouse refused as malformed, moved to the dead-letter folder',
      this.insertFailuresPermanent,
    );
    counter(
      'promptscope_collector_rows_dead_lettered_total',
      'Rows ClickHouse refused as malformed, moved to the dead-letter folder',
      this.rowsDeadLettered,
    );
    counter(
      'promptscope_collector_batches_split_total',
      'Batches ClickHouse refused, split to isolate the bad rows',
      this.batchesSplit,
    );
    counter(
      'promptscope_collector_genai_spans_unclassified_total',
      'Spans with gen_ai.* or llm.* attributes that are not recognisable LLM calls (stored in otel_traces, not in llm_calls)',
      this.genAiSpansUnclassified,
    );
    lines.push(
      ...metric(
        'promptscope_collector_spool_bytes',
        'gauge',
        'Bytes acknowledged but not yet in ClickHouse',
        gauges.spoolBytes,
      ),
      ...metric(
        'promptscope_collector_spool_oldest_age_seconds',
        'gauge',
        'Age of the oldest unsent spool record',
        gauges.spoolOldestAgeSeconds,
      ),
      ...metric(
        'promptscope_collector_inflight_bytes',
        'gauge',
        'Request bytes held now (received, inflated, awaiting fsync)',
        gauges.inFlightBytes,
      ),
      ...metric(
        'promptscope_collector_inflight_bytes_peak',
        'gauge',
        'Most request bytes ever held at once since start',
        gauges.inFlightBytesPeak,
      ),
    );
    lines.push(
      ...this.insertDuration.render(
        'promptscope_collector_insert_duration_seconds',
        'ClickHouse insert latency',
      ),
      ...this.fsyncDuration.render(
        'promptscope_collector_spool_fsync_duration_seconds',
        'Spool write + fsync latency per group commit (what every acknowledgement waits for)',
      ),
    );
    lines.push(...processMetrics());
    return `${lines.join('\n')}\n`;
  }
}

/** One metric in the Prometheus text format: its HELP and TYPE lines and its value. */
export function metric(name: string, type: 'counter' | 'gauge', help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
}

/** A Prometheus histogram: cumulative bucket counts, sum and count. */
export class Histogram {
  readonly #bounds: number[];
  readonly #counts: number[];
  count = 0;
  sum = 0;

  constructor(bounds: number[]) {
    this.#bounds = bounds;
    this.#counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.count++;
    this.sum += value;
    for (let i = 0; i < this.#bounds.length; i++) if (value <= this.#bounds[i]!) this.#counts[i]!++;
  }

  render(name: string, help: string): string[] {
    return [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} histogram`,
      ...this.#bounds.map((le, i) => `${name}_bucket{le="${le}"} ${this.#counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());

/** The process metrics Prometheus client libraries export under these names (prom-client's, for Node). */
function processMetrics(): string[] {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const gauge = (name: string, help: string, value: number, type: 'counter' | 'gauge' = 'gauge') =>
    metric(name, type, help, value);
  return [
    ...gauge(
      'process_cpu_seconds_total',
      'User and system CPU time spent, in seconds',
      (cpu.user + cpu.system) / 1e6,
      'counter',
    ),
    ...gauge('process_resident_memory_bytes', 'Resident memory size in bytes', memory.rss),
    ...gauge(
      'process_start_time_seconds',
      'Start time of the process since the epoch, in seconds',
      startTimeSeconds,
    ),
    ...gauge('nodejs_heap_size_total_bytes', 'V8 heap size, in bytes', memory.heapTotal),
    ...gauge('nodejs_heap_size_used_bytes', 'V8 heap used, in bytes', memory.heapUsed),
    ...gauge(
      'nodejs_external_memory_bytes',
      'Memory of C++ objects bound to JavaScript, in bytes',
      memory.external,
    ),
  ];
}

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
  inserts = 0;
  insertSecondsSum = 0;
  #insertBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  #insertCounts = new Array(this.#insertBuckets.length).fill(0) as number[];

  countRequest(status: number): void {
    const key = String(status);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  observeInsert(seconds: number, rows: number): void {
    this.inserts++;
    this.spansWritten += rows;
    this.insertSecondsSum += seconds;
    for (let i = 0; i < this.#insertBuckets.length; i++)
      if (seconds <= this.#insertBuckets[i]!) this.#insertCounts[i]!++;
  }

  render(gauges: { spoolBytes: number; spoolOldestAgeSeconds: number }): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
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
      'Batches moved to the dead-letter folder',
      this.insertFailuresPermanent,
    );
    lines.push(
      '# HELP promptscope_collector_spool_bytes Bytes acknowledged but not yet in ClickHouse',
      '# TYPE promptscope_collector_spool_bytes gauge',
    );
    lines.push(`promptscope_collector_spool_bytes ${gauges.spoolBytes}`);
    lines.push(
      '# HELP promptscope_collector_spool_oldest_age_seconds Age of the oldest unsent spool record',
      '# TYPE promptscope_collector_spool_oldest_age_seconds gauge',
    );
    lines.push(`promptscope_collector_spool_oldest_age_seconds ${gauges.spoolOldestAgeSeconds}`);
    lines.push(
      '# HELP promptscope_collector_insert_duration_seconds ClickHouse insert latency',
      '# TYPE promptscope_collector_insert_duration_seconds histogram',
    );
    for (let i = 0; i < this.#insertBuckets.length; i++) {
      lines.push(
        `promptscope_collector_insert_duration_seconds_bucket{le="${this.#insertBuckets[i]}"} ${this.#insertCounts[i]}`,
      );
    }
    lines.push(`promptscope_collector_insert_duration_seconds_bucket{le="+Inf"} ${this.inserts}`);
    lines.push(`promptscope_collector_insert_duration_seconds_sum ${this.insertSecondsSum}`);
    lines.push(`promptscope_collector_insert_duration_seconds_count ${this.inserts}`);
    return `${lines.join('\n')}\n`;
  }
}

/**
 * The collector's front door: what the rest of promptscope (the all-in-one server, the CLI, alert rule checks) may use.
 * Everything else under collector/ is the collector's own.
 */

export type { CollectorOptions, RunningCollector } from './collector.ts';
export { startCollector } from './collector.ts';
export type { OtlpAuthorizer } from './receiver/otlp-http.ts';
export { CollectorMetrics } from './telemetry/metrics.ts';

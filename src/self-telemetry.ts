import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface SelfTelemetry {
  provider: TracerProvider;
  /** Sends what is buffered and stops; never throws. */
  shutdown(): Promise<void>;
}

/**
 * The server's own LLM calls (admin test runs) are traced like any service's: OTLP/HTTP protobuf to a collector,
 * as service `promptscope`. Not registered as the global provider, so nothing else in the process is traced.
 */
export function startSelfTelemetry(
  endpoint: string,
  version: string,
  headers?: Record<string, string>,
): SelfTelemetry {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'promptscope', 'service.version': version }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: endpoint, headers }),
        scheduledDelayMillis: 1_000,
      }),
    ],
  });
  return {
    provider,
    shutdown: () => provider.shutdown().catch(() => {}),
  };
}

/**
 * Where the server sends its own spans: its in-process collector when it runs one, else the standard OTLP
 * environment variables, else a collector on this machine's default OTLP port.
 */
export function selfTelemetryEndpoint(
  collectorUrl: string | undefined,
  otlpPort: number,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (collectorUrl) return `${collectorUrl}/v1/traces`;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`;
  return `http://127.0.0.1:${otlpPort}/v1/traces`;
}

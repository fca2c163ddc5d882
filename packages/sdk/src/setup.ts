import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { disabledByEnv, warnOnce } from './options.ts';

export interface TelemetrySetupOptions {
  /** service.name (default OTEL_SERVICE_NAME, else the SDK's default). */
  serviceName?: string;
  /** Traces URL; default OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, or localhost:4318. */
  endpoint?: string;
  /** default OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  protocol?: 'http/protobuf' | 'http/json';
  headers?: Record<string, string>;
  /** Replaces the OTLP exporter (tests, or another backend). */
  exporter?: SpanExporter;
  /** Extra processors next to the batching OTLP one. */
  spanProcessors?: SpanProcessor[];
}

export interface RunningTelemetry {
  /** False when PROMPTSCOPE_DISABLED or OTEL_SDK_DISABLED turned recording off. */
  enabled: boolean;
  /** Flushes pending spans and stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing with an OTLP/HTTP trace exporter pointed at the collector, honouring the
 * standard OTEL_* variables. Call once at process start; call `shutdown` before exit.
 */
export function startTelemetry(options: TelemetrySetupOptions = {}): RunningTelemetry {
  if (disabledByEnv()) return { enabled: false, shutdown: async () => {} };
  const env = process.env;
  let protocol: string =
    options.protocol ??
    (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf');
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    // Often set for every language in a shared environment (grpc): never a reason to break the service.
    warnOnce(
      `OTLP protocol '${protocol}' is not supported by @promptscope/sdk; sending http/protobuf instead (set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf to silence this)`,
    );
    protocol = 'http/protobuf';
  }
  const config = {
    ...(options.endpoint ? { url: options.endpoint } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  };
  const exporter =
    options.exporter ??
    (protocol === 'http/json' ? new OTLPJsonExporter(config) : new OTLPProtoExporter(config));
  // What NodeSDK would set up for traces, without its metrics, logs and every exporter it depends on: the resource
  // (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES), async context, W3C propagation, the global tracer provider.
  let resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
  if (options.serviceName)
    resource = resource.merge(resourceFromAttributes({ 'service.name': options.serviceName }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter }), ...(options.spanProcessors ?? [])],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    // A collector that is down at exit must not crash the service: report it and carry on.
    shutdown: () =>
      provider.shutdown().catch((error: unknown) => {
        process.emitWarning(
          `promptscope: could not flush spans on shutdown: ${error instanceof Error ? error.message : String(error)}`,
        );
      }),
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmTelemetry } from './llm-telemetry.ts';
import { startTelemetry } from './setup.ts';

describe('startTelemetry', () => {
  const received: { path: string; contentType: string; body: Buffer }[] = [];
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
        res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ] as const)(
    'exports LLM spans over OTLP %s and flushes them on shutdown',
    async (protocol, contentType) => {
      received.length = 0;
      const running = startTelemetry({ serviceName: 'checkout', endpoint: url, protocol });
      expect(running.enabled).toBe(true);
      const telemetry = new LlmTelemetry({ disabled: false });
      await telemetry.traceCall({ provider: 'gcp.gemini', model: 'gemini-2.5-flash' }, async (r) => {
        r.response({ usage: { gemini: { promptTokenCount: 10, candidatesTokenCount: 5 } } });
      });
      await running.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      expect(received).toHaveLength(1);
      expect(received[0]!.path).toBe('/v1/traces');
      expect(received[0]!.contentType).toContain(contentType);
      expect(received[0]!.body.toString('latin1')).toContain('generate_content gemini-2.5-flash');
      expect(received[0]!.body.toString('latin1')).toContain('checkout');
    },
  );

  it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc (set for every language in a shared environment) warns once and sends http/protobuf', async () => {
    received.length = 0;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 2; i++) {
        const running = startTelemetry({ serviceName: 'shared-env', endpoint: url });
        expect(running.enabled).toBe(true);
        const telemetry = new LlmTelemetry({ disabled: false });
        await telemetry.traceCall({ provider: 'gcp.gemini', model: 'gemini-2.5-flash' }, async () => {});
        await running.shutdown();
        trace.disable();
        context.disable();
        propagation.disable();
      }
      await new Promise((r) => setImmediate(r));
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
      process.off('warning', onWarning);
    }
    expect(received.map((r) => r.contentType)).toEqual(['application/x-protobuf', 'application/x-protobuf']);
    expect(warnings.filter((w) => w.includes("OTLP protocol 'grpc'"))).toHaveLength(1);
  });

  it('does nothing when PROMPTSCOPE_DISABLED=true', async () => {
    process.env.PROMPTSCOPE_DISABLED = 'true';
    try {
      const running = startTelemetry({ endpoint: url });
      expect(running.enabled).toBe(false);
      expect(new LlmTelemetry().disabled).toBe(true);
      await running.shutdown();
    } finally {
      delete process.env.PROMPTSCOPE_DISABLED;
    }
  });
});

import type http from 'node:http';
import { type Registry, serveExposition } from '../../src/platform/metrics.ts';

export interface SelfTelemetryOptions {
  /** The collector's registry, then whatever else the process exposes (the scheduler's, in `promptscope start`). */
  registries: () => Registry[];
}

/**
 * The collector's own endpoints, beside OTLP on the same port: GET /metrics (Prometheus text, with the process's
 * default metrics) and GET /health. Returns false for any other request, which is the receiver's.
 */
export function selfTelemetry(
  o: SelfTelemetryOptions,
): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const url = req.url?.split('?')[0] ?? '/';
    if (url === '/metrics') {
      serveExposition(res, o.registries());
      return true;
    }
    if (url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"healthy"}');
      return true;
    }
    return false;
  };
}

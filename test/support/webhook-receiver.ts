// biome-ignore-all lint/suspicious/noExplicitAny: receivers read arbitrary JSON bodies
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
}

/** A local receiver for every integration; `failNext` answers that many requests with the given status first. */
export async function startReceiver() {
  const received: Received[] = [];
  const state = { failNext: 0, failStatus: 503 };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(state.failStatus).end('unavailable');
        return;
      }
      received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(req.url === '/pd' ? 202 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return { url, received, state, close };
}

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** What the server answers to one request; everything is optional and has a realistic default. */
export interface GeminiReply {
  /** Answer text (default: an echo of the request's last text part). */
  text?: string;
  /** Override usageMetadata counts (default: ~4 characters per token). */
  usage?: {
    promptTokenCount?: number;
    cachedContentTokenCount?: number;
    candidatesTokenCount?: number;
    thoughtsTokenCount?: number;
  };
  finishReason?: string;
  /** Answer with this HTTP status and a Google API error body instead. */
  status?: number;
  /** Block the answer as the API does for safety: finishReason SAFETY and no content. */
  safetyBlock?: boolean;
  /** Wait this long before answering (and between stream chunks). */
  delayMs?: number;
  /** How many SSE chunks a stream is cut into (default 3). */
  chunks?: number;
  modelVersion?: string;
}

export interface GeminiRequestSeen {
  path: string;
  model: string;
  stream: boolean;
  headers: http.IncomingHttpHeaders;
  body: {
    contents?: { role?: string; parts?: { text?: string }[] }[];
    generationConfig?: Record<string, unknown>;
  } & Record<string, unknown>;
}

export interface GeminiWireServerOptions {
  /** Serve HTTPS with this certificate (the Vertex AI SDK only speaks https). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  port?: number;
  /** Decides each reply; default: echo with realistic usage. */
  reply?: (request: GeminiRequestSeen) => GeminiReply | Promise<GeminiReply>;
}

export interface GeminiWireServer {
  url: string;
  port: number;
  requests: GeminiRequestSeen[];
  /** Replace the reply function (tests script a scenario). */
  setReply(reply: GeminiWireServerOptions['reply']): void;
  close(): Promise<void>;
}

const ERRORS: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: { status: 'INTERNAL', message: 'An internal error has occurred.' },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
};

const ROUTE = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/**
 * A local server speaking the Gemini API and Vertex AI `generateContent` / `streamGenerateContent` wire format
 * (JSON, and SSE with `alt=sse`), so the real Google SDKs can be pointed at it. Not a mock of our code: it stands
 * in for Google's endpoint, with realistic usageMetadata and configurable latency and errors.
 */
export async function startGeminiWireServer(
  options: GeminiWireServerOptions = {},
): Promise<GeminiWireServer> {
  let reply: NonNullable<GeminiWireServerOptions['reply']> = options.reply ?? (() => ({}));
  const requests: GeminiRequestSeen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: String(error), status: 'INTERNAL' } }));
    });
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const m = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 404, message: `no such method ${req.method} ${url.pathname}`, status: 'NOT_FOUND' },
        }),
      );
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const seen: GeminiRequestSeen = {
      path: url.pathname,
      model: decodeURIComponent(m[1]!),
      stream: m[2] === 'streamGenerateContent',
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
    };
    requests.push(seen);
    const r = await reply(seen);
    if (r.delayMs) await sleep(r.delayMs);
    if (r.status && r.status >= 400) {
      const e = ERRORS[r.status] ?? { status: 'UNKNOWN', message: 'error' };
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: r.status, message: e.message, status: e.status } }));
      return;
    }
    const response = buildResponse(seen, r);
    if (!seen.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of splitIntoChunks(response, r.chunks ?? 3)) {
      res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      if (r.delayMs) await sleep(r.delayMs);
    }
    res.end();
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    setReply(next) {
      reply = next ?? (() => ({}) as GeminiReply);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface WireResponse {
  candidates: {
    content?: { role: string; parts: { text: string }[] };
    finishReason: string;
    index: number;
  }[];
  usageMetadata: Record<string, number>;
  modelVersion: string;
  responseId: string;
}

let responseCounter = 0;

function buildResponse(req: GeminiRequestSeen, r: GeminiReply): WireResponse {
  const promptText = (req.body.contents ?? [])
    .flatMap((c) => (c.parts ?? []).map((p) => p.text ?? ''))
    .join('\n');
  const lastText =
    (req.body.contents ?? [])
      .at(-1)
      ?.parts?.map((p) => p.text ?? '')
      .join('') ?? '';
  const text = r.safetyBlock ? '' : (r.text ?? `Echo: ${lastText.slice(0, 200)}`);
  const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));
  const prompt = r.usage?.promptTokenCount ?? tokens(promptText);
  const candidates = r.usage?.candidatesTokenCount ?? (r.safetyBlock ? 0 : tokens(text));
  const thoughts = r.usage?.thoughtsTokenCount ?? 0;
  const cached = r.usage?.cachedContentTokenCount ?? 0;
  const usageMetadata: Record<string, number> = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
  };
  if (cached) usageMetadata.cachedContentTokenCount = cached;
  if (thoughts) usageMetadata.thoughtsTokenCount = thoughts;
  return {
    candidates: [
      r.safetyBlock
        ? { finishReason: 'SAFETY', index: 0 }
        : { content: { role: 'model', parts: [{ text }] }, finishReason: r.finishReason ?? 'STOP', index: 0 },
    ],
    usageMetadata,
    modelVersion: r.modelVersion ?? req.model,
    responseId: `resp-${++responseCounter}`,
  };
}

/** The text spread over n chunks; only the last carries the finish reason and the final usage, as the API does. */
function splitIntoChunks(full: WireResponse, n: number): unknown[] {
  const candidate = full.candidates[0]!;
  const text = candidate.content?.parts[0]?.text ?? '';
  const size = Math.ceil(text.length / n) || 1;
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const piece = text.slice(i * size, last ? undefined : (i + 1) * size);
    out.push({
      candidates: [
        {
          ...(candidate.content ? { content: { role: 'model', parts: [{ text: piece }] } } : {}),
          ...(last ? { finishReason: candidate.finishReason } : {}),
          index: 0,
        },
      ],
      usageMetadata: last ? full.usageMetadata : { promptTokenCount: full.usageMetadata.promptTokenCount },
      modelVersion: full.modelVersion,
      responseId: full.responseId,
    });
  }
  return out;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

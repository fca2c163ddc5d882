import type http from 'node:http';
import { createGunzip } from 'node:zlib';
import type { BudgetHolder } from './byte-budget.ts';
import { HttpError } from './responses.ts';

/**
 * Reads the body, enforcing the size limit while reading and after decompression (a gzip bomb never inflates fully),
 * holding every byte read or inflated in the request's budget share (429 when the budget is spent), and giving up
 * with 408 on a body that sends nothing for `idleMs`.
 */
export function readBody(
  req: http.IncomingMessage,
  gzip: boolean,
  limit: number,
  held: BudgetHolder,
  idleMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    let done = false;
    const source = gzip ? req.pipe(createGunzip()) : req;
    const stop = (error: HttpError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(error);
      if (gzip) {
        req.unpipe();
        source.destroy();
      }
    };
    const timer = setTimeout(onIdle, idleMs);
    // 503, not 408: OTLP exporters retry 429, 502, 503 and 504 only, and a stalled body is worth retrying.
    function onIdle() {
      stop(
        new HttpError(503, `the request body sent nothing for ${idleMs / 1000} s; retry`, {
          connection: 'close',
          'retry-after': '1',
        }),
      );
    }
    // The rest of the body is read and dropped (not held), so the client gets the 429 rather than a reset.
    const overBudget = () => stop(new HttpError(429, 'too many request bytes in progress; retry later'));
    const tooLarge = () =>
      stop(new HttpError(413, `request body over ${limit} bytes${gzip ? ' after decompression' : ''}`));
    req.on('data', (c: Buffer) => {
      if (done) return;
      timer.refresh();
      raw += c.length;
      if (raw > limit) return tooLarge();
      if (!held.take(c.length)) return overBudget();
      if (!gzip) chunks.push(c);
    });
    if (gzip) {
      source.on('data', (c: Buffer) => {
        if (done) return;
        size += c.length;
        if (size > limit) return tooLarge();
        if (!held.take(c.length)) return overBudget();
        chunks.push(c);
      });
    }
    source.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    source.on('error', (error) => stop(new HttpError(400, `cannot read the body: ${error.message}`)));
    req.on('error', (error) => stop(new HttpError(400, `cannot read the body: ${error.message}`)));
    req.on('close', () => {
      if (!req.complete) stop(new HttpError(400, 'the client closed the request before its body ended'));
    });
  });
}

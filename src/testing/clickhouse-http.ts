/**
 * A ClickHouse HTTP endpoint backed by chDB, run as its own process: lets the collector benchmark and the many-processes test put ClickHouse in
 * another process, as in a real deployment, on a machine without a ClickHouse server. It speaks the part of the HTTP
 * interface @clickhouse/client uses: the query in the body, or in the `query` parameter with the data in the body;
 * settings and query parameters as URL parameters; `Code: N. DB::Exception: …` with `X-ClickHouse-Exception-Code` on
 * errors.
 *
 *   node src/testing/clickhouse-http.ts <data folder> <port>      (prints "ready" once it listens)
 */
import http from 'node:http';
import { gunzipSync } from 'node:zlib';

const [dir, port] = process.argv.slice(2);
const { Session } = (await import('chdb')) as unknown as {
  Session: new (
    path: string,
  ) => { queryAsync(sql: string, options: { format?: string }): Promise<{ bytes(): Buffer }> };
};
const session = new Session(dir!);

/** URL parameters that are not ClickHouse settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'session_id', 'role', 'default_format']);
/** Settings of the HTTP interface itself, meaningless here. */
const HTTP_ONLY = new Set(['enable_http_compression', 'wait_end_of_query', 'send_progress_in_http_headers']);

function settingsClause(params: URLSearchParams): string {
  const parts: string[] = [];
  for (const [key, value] of params) {
    if (NOT_SETTINGS.has(key) || HTTP_ONLY.has(key) || key.startsWith('param_')) continue;
    if (!/^\w+$/.test(key)) throw new Error(`bad setting name ${key}`);
    parts.push(`${key}=${/^-?\d+(\.\d+)?$/.test(value) ? value : `'${value.replace(/['\\]/g, '\\$&')}'`}`);
  }
  return parts.length > 0 ? ` SETTINGS ${parts.join(', ')}` : '';
}

/**
 * Query parameters (`param_<name>` in the URL, values in ClickHouse's text format) become `SET param_<name> = '…'` in
 * front of the query: the engine's session keeps them, so queries that carry parameters run one at a time.
 */
function parameterStatements(params: URLSearchParams): string {
  let out = '';
  for (const [key, value] of params) {
    if (!key.startsWith('param_')) continue;
    if (!/^param_\w+$/.test(key)) throw new Error(`bad parameter name ${key}`);
    out += `SET ${key} = '${value.replace(/['\\]/g, '\\$&')}'; `;
  }
  return out;
}
let parameterised = Promise.resolve();

http
  .createServer(async (req, res) => {
    if (req.url === '/ping') return res.end('Ok.\n');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    const inUrl = params.get('query');
    let sql: string;
    if (inUrl) {
      // INSERT … FORMAT X with the rows in the body: the settings go in front of FORMAT, in the statement itself.
      const insert = /^([\s\S]*?)\s+FORMAT\s+(\w+)\s*$/i.exec(inUrl);
      sql = insert
        ? `${insert[1]}${settingsClause(params)} FORMAT ${insert[2]}\n${body.toString('utf8')}`
        : `${inUrl}\n${body.toString('utf8')}`;
    } else {
      sql = body.toString('utf8');
    }
    try {
      const format = { format: params.get('default_format') ?? 'TabSeparated' };
      const bound = parameterStatements(params);
      const run = () => session.queryAsync(`${bound}${sql}`, format);
      let result: Awaited<ReturnType<typeof run>>;
      if (bound) {
        const turn = parameterised.then(run);
        parameterised = turn.then(
          () => undefined,
          () => undefined,
        );
        result = await turn;
      } else result = await run();
      res.writeHead(200, {
        'x-clickhouse-summary': '{}',
        'x-clickhouse-query-id': params.get('query_id') ?? '',
      });
      res.end(result.bytes());
    } catch (error) {
      const message = (error as Error).message;
      const code = /Code: (\d+)/.exec(message)?.[1] ?? '1000';
      res.writeHead(500, { 'x-clickhouse-exception-code': code });
      res.end(message.startsWith('Code:') ? message : `Code: ${code}. DB::Exception: ${message}`);
    }
  })
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));

/**
 * chDB's connection for @clickhouse/client runs a call's `clickhouse_settings` as `SET …;` statements on the one
 * engine session every caller shares, where they stay: after the collector's insert, every later insert carried its
 * `insert_deduplication_token` and was silently dropped as a duplicate; after an alert rule's query, every query had
 * its `max_execution_time`. This wrapper scopes them to their call, as over HTTP: a call with settings runs alone
 * (calls without wait for it, it waits for them) and puts each setting back to its default when it is done.
 */

interface Call {
  query?: string;
  clickhouse_settings?: Record<string, unknown>;
}

type AnyConnection = Record<'query' | 'insert' | 'command' | 'exec', (params: Call) => Promise<unknown>> & {
  ping(params: unknown): Promise<unknown>;
  close(): Promise<void>;
};

/** Settings clickhouse-js sends that the chDB connection does not turn into `SET` (it drops or maps them). */
const NOT_SET = new Set([
  'default_format',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);

/** A readers-writer lock: calls with settings are the writers. */
class SettingsLock {
  #plain = 0;
  #exclusive = false;
  #waiting: (() => void)[] = [];

  async plain<T>(run: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await new Promise<void>((r) => this.#waiting.push(r));
    this.#plain++;
    try {
      return await run();
    } finally {
      this.#plain--;
      this.#wake();
    }
  }

  async exclusive<T>(run: () => Promise<T>): Promise<T> {
    while (this.#exclusive || this.#plain > 0) await new Promise<void>((r) => this.#waiting.push(r));
    this.#exclusive = true;
    try {
      return await run();
    } finally {
      this.#exclusive = false;
      this.#wake();
    }
  }

  #wake(): void {
    for (const r of this.#waiting.splice(0)) r();
  }
}

export function scopeChdbSettings<C>(connection: C): C {
  const inner = connection as unknown as AnyConnection;
  const lock = new SettingsLock();
  const wrap =
    (method: 'query' | 'insert' | 'command' | 'exec') =>
    (params: Call): Promise<unknown> => {
      const names = Object.entries(params.clickhouse_settings ?? {})
        .filter(([k, v]) => v !== undefined && !NOT_SET.has(k))
        .map(([k]) => k);
      if (names.length === 0) return lock.plain(() => inner[method](params));
      return lock.exclusive(async () => {
        try {
          return await inner[method](params);
        } finally {
          await inner.command({ query: names.map((n) => `SET ${n} = DEFAULT`).join('; ') });
        }
      });
    };
  const scoped = {
    query: wrap('query'),
    insert: wrap('insert'),
    command: wrap('command'),
    exec: wrap('exec'),
    ping: (params: unknown) => inner.ping(params),
    close: () => inner.close(),
  };
  // Anything else the connection offers (a name, capability flags) reads through to it.
  return new Proxy(inner, {
    get: (target, key) =>
      Object.hasOwn(scoped, key) ? scoped[key as keyof typeof scoped] : Reflect.get(target, key),
  }) as unknown as C;
}

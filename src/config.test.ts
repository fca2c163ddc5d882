import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, otlpAuthRequired } from './config.ts';
import { ENVIRONMENT } from './environment.ts';

describe('configuration', () => {
  it('runs on defaults with nothing set: embedded stores, loopback, port 8080', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      clickhouseUrl: undefined,
      clickhouseDatabase: 'default',
      dataDir: '/srv/app/.promptscope',
      logLevel: 'info',
      bootstrapKeyFile: '/srv/app/.promptscope/admin-key',
    });
  });

  it('reads every setting from the environment', () => {
    const c = loadConfig(
      {
        PORT: '9000',
        HOST: '0.0.0.0',
        DATABASE_URL: 'postgres://u:p@db:5432/ps',
        CLICKHOUSE_URL: 'http://ch:8123',
        CLICKHOUSE_DATABASE: 'telemetry',
        PROMPTSCOPE_DATA_DIR: '/var/lib/ps',
        LOG_LEVEL: 'debug',
      },
      '/srv',
    );
    expect(c).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/ps',
      clickhouseUrl: 'http://ch:8123',
      clickhouseDatabase: 'telemetry',
      dataDir: '/var/lib/ps',
      logLevel: 'debug',
    });
  });

  it.each([
    [{}, { traces: 0, calls: 0, rollup: 0 }],
    [{ PROMPTSCOPE_LLM_CALLS_TTL_DAYS: '30' }, { traces: 0, calls: 30, rollup: 30 }],
    [
      {
        PROMPTSCOPE_TRACES_TTL_DAYS: '7',
        PROMPTSCOPE_LLM_CALLS_TTL_DAYS: '30',
        PROMPTSCOPE_ROLLUP_TTL_DAYS: '400',
      },
      { traces: 7, calls: 30, rollup: 400 },
    ],
    [
      { PROMPTSCOPE_LLM_CALLS_TTL_DAYS: '30', PROMPTSCOPE_ROLLUP_TTL_DAYS: '0' },
      { traces: 0, calls: 30, rollup: 0 },
    ],
  ])('retention from %o: %o (the rollup keeps what the calls keep unless told)', (env, retention) => {
    expect(loadConfig(env, '/srv').retention).toEqual(retention);
  });

  it.each([
    [{}, '127.0.0.1', false],
    [{ HOST: '0.0.0.0' }, '0.0.0.0', true],
    [{ HOST: '0.0.0.0', PROMPTSCOPE_OTLP_HOST: '127.0.0.1' }, '127.0.0.1', false],
    [{ PROMPTSCOPE_OTLP_HOST: '::' }, '::', true],
    [{ PROMPTSCOPE_OTLP_HOST: '::1' }, '::1', false],
    [{ PROMPTSCOPE_OTLP_HOST: 'localhost' }, 'localhost', false],
    [{ PROMPTSCOPE_OTLP_HOST: '127.0.0.2' }, '127.0.0.2', false],
    [{ PROMPTSCOPE_OTLP_HOST: '10.0.0.5' }, '10.0.0.5', true],
    [{ PROMPTSCOPE_OTLP_AUTH: 'required' }, '127.0.0.1', true],
    [{ HOST: '0.0.0.0', PROMPTSCOPE_OTLP_AUTH: 'off' }, '0.0.0.0', false],
  ])('OTLP auth from %o: the collector listens on %s and requires a key: %s', (env, host, required) => {
    const c = loadConfig(env, '/srv');
    expect(c.otlpHost).toBe(host);
    expect(otlpAuthRequired(c)).toBe(required);
  });

  it('refuses an unknown PROMPTSCOPE_OTLP_AUTH, naming the choices', () => {
    expect(() => loadConfig({ PROMPTSCOPE_OTLP_AUTH: 'yes' })).toThrow(
      'PROMPTSCOPE_OTLP_AUTH="yes": expected one of auto, required, off',
    );
  });

  it.each([
    [{ CLICKHOUSE_URL: 'http://ch:8123' }, 'http://ch:8123'],
    [
      { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_USER: 'promptscope', CLICKHOUSE_PASSWORD: 's3cr/t' },
      'http://promptscope:s3cr%2Ft@ch:8123/',
    ],
    [{ CLICKHOUSE_URL: 'http://a:b@ch:8123', CLICKHOUSE_USER: 'other' }, 'http://a:b@ch:8123'],
  ])(
    'ClickHouse credentials from %o: %s (the names the otelcol config and Grafana provisioning use)',
    (env, url) => {
      expect(loadConfig(env, '/srv').clickhouseUrl).toBe(url);
    },
  );

  it('names every bad value in one error', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        CLICKHOUSE_URL: 'not a url',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'LOG_LEVEL="loud": expected one of debug, info, warn, error, silent',
        'PORT="eighty": expected a whole number from 0 to 65535',
        'DATABASE_URL: expected a URL starting with postgres:// or postgresql://',
        'CLICKHOUSE_URL: not a valid URL',
      ]);
    }
  });
});

describe('the configuration table in the README', () => {
  const readme = fs.readFileSync(path.join(import.meta.dirname, '../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### External Postgres'));
  const documented = [...section.matchAll(/^\| ([^|]+)\|/gm)].flatMap((m) =>
    [...m[1]!.matchAll(/`([A-Z_*]+)`/g)].map((n) => new RegExp(`^${n[1]!.replaceAll('*', '[A-Z_]+')}$`)),
  );

  it.each(Object.keys(ENVIRONMENT.shape))('documents %s', (name) => {
    expect(documented.some((re) => re.test(name))).toBe(true);
  });

  it('documents no variable promptscope does not read', () => {
    const names = Object.keys(ENVIRONMENT.shape);
    expect(documented.filter((re) => !names.some((n) => re.test(n))).map(String)).toEqual([]);
  });
});

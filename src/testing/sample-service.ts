import { GoogleGenAI } from '@google/genai';
import { instrumentGoogleGenAI, LlmTelemetry, PromptClient, startTelemetry } from '#sdk';
import { startGeminiWireServer } from './gemini-wire-server.ts';

/** How the model behaves for one version of a template: its share of failed calls and its latency. */
export interface VersionBehaviour {
  errorShare: number;
  delayMs: number;
}

export interface SampleServiceOptions {
  serviceName: string;
  /** promptscope's API and a key that may read prompts. */
  api: string;
  apiKey: string;
  /** The collector's OTLP/HTTP traces URL. */
  otlp: string;
  /** The template to call, or several: call after call in turn. */
  template: string | string[];
  label?: string;
  callsPerSecond: number;
  /** Decides, per version the call's prompt came from, how the model answers. */
  behaviour: (version: string) => VersionBehaviour;
  /** The prompt client's cache (the sdk's default is 60 s). */
  cacheTtlSeconds?: number;
  users?: string[];
  tenants?: string[];
}

export interface SampleService {
  /** Calls made, and failed, per `template@version`. */
  stats(): Map<
    string,
    { calls: number; failures: number; firstFailureAt: number | undefined; firstCallAt: number }
  >;
  /** Sends the following calls to another template (one service, one OpenTelemetry setup per process). */
  setTemplate(name: string): void;
  stop(): Promise<void>;
}

/** The version a rendered prompt came from: sample templates end their text with `[v=<version>]`. */
const VERSION = /\[v=([^\]]+)\]/;

/**
 * A service as a customer would write one, for benchmarks and the demo: it fetches its template by label with the
 * real PromptClient, calls Gemini through the real @google/genai SDK instrumented by the sdk (the model played by the
 * local wire-format server, which fails and lags as `behaviour` says for each version), once per request of a few
 * users of a few tenants (withAttribution), and exports its spans to the collector.
 */
export async function startSampleService(o: SampleServiceOptions): Promise<SampleService> {
  const gemini = await startGeminiWireServer({
    reply: (request) => {
      const text =
        request.body.contents
          ?.flatMap((c) => c.parts ?? [])
          .map((p) => p.text ?? '')
          .join(' ') ?? '';
      const b = o.behaviour(VERSION.exec(text)?.[1] ?? '');
      return Math.random() < b.errorShare
        ? { status: 400, delayMs: b.delayMs }
        : { text: 'Here is a helpful answer.', delayMs: b.delayMs };
    },
  });
  const otel = startTelemetry({ serviceName: o.serviceName, endpoint: o.otlp });
  const telemetry = new LlmTelemetry();
  const ai = instrumentGoogleGenAI(
    new GoogleGenAI({ apiKey: 'local', httpOptions: { baseUrl: gemini.url } }),
    telemetry,
  );
  const prompts = new PromptClient({
    baseUrl: o.api,
    apiKey: o.apiKey,
    cacheTtlSeconds: o.cacheTtlSeconds ?? 60,
  });
  const users = o.users ?? ['ada', 'grace', 'linus', 'margaret', 'ken'];
  const tenants = o.tenants ?? ['acme', 'globex'];
  const stats = new Map<
    string,
    { calls: number; failures: number; firstFailureAt: number | undefined; firstCallAt: number }
  >();
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let templates = Array.isArray(o.template) ? o.template : [o.template];
  const one = async () => {
    const i = n++;
    const user = users[i % users.length]!;
    const tenant = tenants[i % tenants.length]!;
    await telemetry.withAttribution(
      { userId: user, tenant, sessionId: `${user}-${Math.floor(i / 20)}` },
      async () => {
        const prompt = await prompts.get(templates[i % templates.length]!, {
          label: o.label ?? 'production',
          variantKey: `${user}-${i}`,
        });
        const key = `${prompt.name}@${prompt.version ?? ''}`;
        const s = stats.get(key) ?? {
          calls: 0,
          failures: 0,
          firstFailureAt: undefined,
          firstCallAt: Date.now(),
        };
        stats.set(key, s);
        s.calls++;
        try {
          await telemetry.runPrompt(prompt, { question: `question ${i}` }, (rendered) =>
            ai.models.generateContent({ model: 'gemini-2.5-flash', contents: rendered.text! }),
          );
        } catch {
          s.failures++;
          s.firstFailureAt ??= Date.now();
        }
      },
    );
  };
  const timer = setInterval(() => {
    const call = one().catch(() => {});
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  }, 1000 / o.callsPerSecond);
  return {
    stats: () => stats,
    setTemplate(name) {
      templates = [name];
    },
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
      await otel.shutdown();
      await gemini.close();
    },
  };
}

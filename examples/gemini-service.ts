/**
 * A service that fetches its template from promptscope and calls Gemini through the real @google/genai SDK,
 * instrumented by promptscope/sdk. Gemini is played by the local wire-format server, so no credentials are needed.
 *
 *   npm start                                   # in another terminal, then publish `search-answer` (README)
 *   PROMPTSCOPE_API_KEY=$(cat .promptscope/admin-key) npm run example -- "What is OpenTelemetry?"
 */
import { GoogleGenAI } from '@google/genai';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { instrumentGoogleGenAI, LlmTelemetry, PromptClient, startTelemetry } from '#sdk';
import { startGeminiWireServer } from '../src/testing/gemini-wire-server.ts';

const question = process.argv[2] ?? 'What is OpenTelemetry?';

// Spans go over OTLP to the collector (OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4318) and, for this demo,
// into memory so they can be printed below.
const recorded = new InMemorySpanExporter();
const otel = startTelemetry({
  serviceName: 'support-bot',
  spanProcessors: [new SimpleSpanProcessor({ exporter: recorded })],
});

const gemini = await startGeminiWireServer({
  reply: () => ({
    text: 'OpenTelemetry is a vendor-neutral framework for traces, metrics and logs.',
    usage: { thoughtsTokenCount: 24 },
  }),
});
const telemetry = new LlmTelemetry();
const ai = instrumentGoogleGenAI(
  new GoogleGenAI({ apiKey: 'local', httpOptions: { baseUrl: gemini.url } }),
  telemetry,
);
const prompts = new PromptClient({ baseUrl: process.env.PROMPTSCOPE_URL ?? 'http://127.0.0.1:8080' });

const prompt = await prompts.get('search-answer', { fallback: 'Answer the user question: {{query}}' });
const response = await telemetry.runPrompt(prompt, { query: question }, (rendered) =>
  ai.models.generateContent({
    model: String(prompt.modelConfig.model_name ?? 'gemini-2.5-flash'),
    contents: rendered.text!,
  }),
);
console.log(`template ${prompt.name} v${prompt.version ?? '-'} (${prompt.source}) → ${response.text}`);

await new Promise((r) => setTimeout(r, 10)); // let the processor hand the ended span over
for (const span of recorded.getFinishedSpans()) {
  const a = span.attributes;
  console.log(
    `span "${span.name}": prompt=${a['gen_ai.prompt.name']}@${a['gen_ai.prompt.version'] ?? '-'} source=${a['promptscope.prompt.source']}` +
      ` tokens in=${a['gen_ai.usage.input_tokens']} out=${a['gen_ai.usage.output_tokens']} (thinking ${a['gen_ai.usage.reasoning.output_tokens']})` +
      ` cost=${a['gen_ai.usage.cost.amount'] ?? a['promptscope.cost.status']} ${a['gen_ai.usage.cost.currency'] ?? ''}`,
  );
}
await otel.shutdown();
await gemini.close();

import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Spans shaped like the sdk's: ~15 GenAI attributes, unique ids. */
export function makeSpans(n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'bench-service',
      'deployment.environment.name': 'bench',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('promptscope', '0.1.0');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('generate_content gemini-2.5-flash', {
      kind: 2,
      attributes: {
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.request.model': 'gemini-2.5-flash',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.response.model': 'gemini-2.5-flash',
        'gen_ai.response.id': `resp-${i}`,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 1200 + (i % 100),
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 200,
        'gen_ai.usage.reasoning.output_tokens': 100,
        'gen_ai.usage.cost.amount': '0.001306',
        'gen_ai.usage.cost.currency': 'USD',
        'gen_ai.prompt.name': `template-${i % 20}`,
        'gen_ai.prompt.version': String(1 + (i % 3)),
      },
    });
    span.end();
  }
  const spans = memory.getFinishedSpans();
  return spans;
}

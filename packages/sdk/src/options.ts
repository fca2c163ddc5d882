/**
 * True when recording must be off: PROMPTSCOPE_DISABLED, OTEL_SDK_DISABLED, or the seed's DISABLE_PROMPT_LOGGING
 * set to true.
 */
export function disabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    isTrue(env.PROMPTSCOPE_DISABLED) || isTrue(env.OTEL_SDK_DISABLED) || isTrue(env.DISABLE_PROMPT_LOGGING)
  );
}

/**
 * Where prompt and completion text go, when captured at all: span attributes (`gen_ai.input.messages` /
 * `gen_ai.output.messages`), a `gen_ai.client.inference.operation.details` event on the span, or both.
 */
export type ContentCapture = 'none' | 'span' | 'event' | 'span_and_event';

/**
 * Content is captured only when opted in: PROMPTSCOPE_CAPTURE_CONTENT=true, or the GenAI instrumentations' variable
 * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT with its current values (SPAN_ONLY, EVENT_ONLY,
 * SPAN_AND_EVENT, NO_CONTENT) or the older true/false. An unknown value captures nothing and warns once.
 */
export function contentCaptureByEnv(env: NodeJS.ProcessEnv = process.env): ContentCapture {
  if (isTrue(env.PROMPTSCOPE_CAPTURE_CONTENT)) return 'span';
  const raw = env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim();
  if (!raw) return 'none';
  const mode = OTEL_CAPTURE_MODES[raw.toUpperCase()];
  if (mode) return mode;
  if (isTrue(raw)) return 'span';
  if (!['false', '0', 'no'].includes(raw.toLowerCase())) {
    warnOnce(
      `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=${raw} is not one of ${Object.keys(OTEL_CAPTURE_MODES).join(', ')}, true, false: capturing no content`,
    );
  }
  return 'none';
}

export const contentOnSpan = (c: ContentCapture) => c === 'span' || c === 'span_and_event';
export const contentAsEvent = (c: ContentCapture) => c === 'event' || c === 'span_and_event';

const OTEL_CAPTURE_MODES: Record<string, ContentCapture> = {
  NO_CONTENT: 'none',
  SPAN_ONLY: 'span',
  EVENT_ONLY: 'event',
  SPAN_AND_EVENT: 'span_and_event',
};

const warned = new Set<string>();

/** A configuration problem is told once per process, never thrown at the service. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(`promptscope: ${message}`);
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes'].includes(v.trim().toLowerCase());
}

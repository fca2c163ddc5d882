import { GuardrailBlockedError } from './errors.ts';
import type { Prompt, RenderedPrompt } from './prompt.ts';
import { withPromptScope } from './prompt-context.ts';
import { evaluateGuardrails, type GuardrailVerdict } from './prompts/guardrails.ts';
import { PROVIDERS } from './semconv.ts';
import type { LlmCallRecorder, LlmCallStart } from './span-recorder.ts';

/** What running a prompt needs of the telemetry (LlmTelemetry): whether content is captured, and a call's recorder. */
export interface PromptTelemetry {
  readonly captureContent: boolean;
  startCall(start: LlmCallStart): LlmCallRecorder;
}

/**
 * Renders a template strictly, runs its input guardrails, and calls the model with the result, so the
 * instrumented call's span carries the template (name, version, label, source, variant) and every verdict.
 * block → GuardrailBlockedError and no model call (a span still records it); redact → the model gets the
 * redacted text; flag → proceed. Output rules run on the answer inside the instrumented call.
 */
export async function runPrompt<T>(
  telemetry: PromptTelemetry,
  prompt: Prompt,
  values: Record<string, unknown>,
  call: (rendered: RenderedPrompt) => Promise<T>,
): Promise<T> {
  const rendered = prompt.render(values);
  const verdicts: GuardrailVerdict[] = [];
  const guard = (text: string) => {
    const outcome = evaluateGuardrails(prompt.guardrails, text, 'input');
    verdicts.push(...outcome.verdicts);
    return outcome.text;
  };
  const guarded: RenderedPrompt =
    rendered.text !== undefined
      ? { text: guard(rendered.text) }
      : { messages: rendered.messages!.map((m) => ({ ...m, content: guard(m.content) })) };
  const ref = prompt.ref(telemetry.captureContent ? values : undefined);
  const scope = { prompt: ref, inputVerdicts: verdicts };
  const blocking = verdicts.filter((v) => v.action === 'block');
  if (blocking.length > 0) {
    const error = new GuardrailBlockedError('input', blocking);
    // No model call happens; record the refused call so the block is visible next to the template's other calls.
    withPromptScope(scope, () => {
      const recorder = telemetry.startCall({
        provider: String(prompt.modelConfig.provider ?? PROVIDERS.genAi),
        model: String(prompt.modelConfig.model_name ?? 'unknown'),
      });
      recorder.fail(error);
      recorder.end();
    });
    throw error;
  }
  return withPromptScope(scope, () => call(guarded));
}

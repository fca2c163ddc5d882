/**
 * True when recording must be off: PROMPTSCOPE_DISABLED, OTEL_SDK_DISABLED, or the seed's DISABLE_PROMPT_LOGGING
 * set to true.
 */
export function disabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    isTrue(env.PROMPTSCOPE_DISABLED) || isTrue(env.OTEL_SDK_DISABLED) || isTrue(env.DISABLE_PROMPT_LOGGING)
  );
}

/** Prompt/completion text and variable values are captured only when opted in. */
export function captureContentByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    isTrue(env.PROMPTSCOPE_CAPTURE_CONTENT) || isTrue(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)
  );
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes'].includes(v.trim().toLowerCase());
}

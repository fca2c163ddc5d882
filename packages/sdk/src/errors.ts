import type { GuardrailVerdict } from './prompts/guardrails.ts';

/** A guardrail with action `block` matched: on input the model was not called; on output the answer is withheld. */
export class GuardrailBlockedError extends Error {
  readonly stage: 'input' | 'output';
  readonly verdicts: GuardrailVerdict[];
  constructor(stage: 'input' | 'output', verdicts: GuardrailVerdict[]) {
    super(
      `blocked by guardrail ${verdicts.map((v) => `'${v.rule}' (${v.detail})`).join(', ')} on the ${stage}`,
    );
    this.name = 'GuardrailBlockedError';
    this.stage = stage;
    this.verdicts = verdicts;
  }
}

/** Rendering refused: variables missing, unknown or of the wrong type. */
export class PromptRenderError extends Error {
  readonly missing: string[];
  readonly unknown: string[];
  readonly wrongType: { name: string; message: string }[];
  constructor(
    name: string,
    problems: { missing: string[]; unknown: string[]; wrongType: { name: string; message: string }[] },
    message: string,
  ) {
    super(`cannot render '${name}': ${message}`);
    this.name = 'PromptRenderError';
    this.missing = problems.missing;
    this.unknown = problems.unknown;
    this.wrongType = problems.wrongType;
  }
}

/** The template could not be fetched and no fallback was given. */
export class PromptUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PromptUnavailableError';
  }
}

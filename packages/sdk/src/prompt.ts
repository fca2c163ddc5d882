import { PromptRenderError } from './errors.ts';
import type { PromptRef } from './prompt-context.ts';
import type { GuardrailRule } from './prompts/guardrails.ts';
import { describeValueProblems, type PromptBody, parseBody, renderParsed } from './prompts/render.ts';
import type { VariableDefinition } from './prompts/variables.ts';

/** A template version as the read API returns it (the fields the sdk uses). */
export interface PromptData {
  name: string;
  version?: string;
  template_text: string | null;
  messages: { role: string; content: string }[] | null;
  variable_definitions: VariableDefinition[];
  model_config: Record<string, unknown>;
  guardrails: (GuardrailRule & { scope?: string })[];
  content_hash?: string;
}

export interface RenderedPrompt {
  text?: string;
  messages?: { role: string; content: string }[];
}

/** A fetched (or fallback) template, ready to render with the same strict rules as the server. */
export class Prompt {
  readonly name: string;
  readonly version: string | undefined;
  readonly label: string | undefined;
  readonly source: PromptRef['source'];
  readonly variant: string | undefined;
  readonly contentHash: string | undefined;
  readonly modelConfig: Record<string, unknown>;
  readonly guardrails: GuardrailRule[];
  readonly variables: VariableDefinition[];
  readonly body: PromptBody;
  #parsed: Extract<ReturnType<typeof parseBody>, { ok: true }>['parsed'];
  #data: PromptData;

  constructor(data: PromptData, meta: { label?: string; source: PromptRef['source']; variant?: string }) {
    this.#data = data;
    this.name = data.name;
    this.version = data.version;
    this.label = meta.label;
    this.source = meta.source;
    this.variant = meta.variant;
    this.contentHash = data.content_hash;
    this.modelConfig = data.model_config ?? {};
    this.guardrails = data.guardrails ?? [];
    this.variables = data.variable_definitions ?? [];
    this.body =
      data.template_text !== null ? { template_text: data.template_text } : { messages: data.messages ?? [] };
    const parsed = parseBody(this.body);
    if (!parsed.ok)
      throw new Error(
        `template '${data.name}' cannot be parsed: ${parsed.problems.map((p) => p.message).join('; ')}`,
      );
    this.#parsed = parsed.parsed;
  }

  get isFallback(): boolean {
    return this.source === 'fallback';
  }

  /** Renders; a missing, unknown or wrongly typed variable throws PromptRenderError naming them. */
  render(values: Record<string, unknown> = {}): RenderedPrompt {
    const result = renderParsed(this.#parsed, this.body.messages !== undefined, this.variables, values);
    if (!result.ok) throw new PromptRenderError(this.name, result, describeValueProblems(result));
    return result.rendered.text !== undefined
      ? { text: result.rendered.text }
      : { messages: result.rendered.messages };
  }

  /** What a span records about this template. */
  ref(values?: Record<string, unknown>): PromptRef {
    return {
      name: this.name,
      version: this.version,
      label: this.label,
      contentHash: this.contentHash,
      source: this.source,
      variant: this.variant,
      guardrails: this.guardrails,
      variables: values,
    };
  }

  /** The same template seen from the cache. */
  withSource(source: PromptRef['source']): Prompt {
    return new Prompt(this.#data, { label: this.label, source, variant: this.variant });
  }
}

/** Builds the stand-in for a template the API could not deliver; it keeps the template's name for the span. */
export function fallbackPrompt(name: string, label: string | undefined, fallback: FallbackTemplate): Prompt {
  const f =
    typeof fallback === 'string'
      ? { template_text: fallback }
      : Array.isArray(fallback)
        ? { messages: fallback }
        : fallback;
  const body: PromptBody =
    f.template_text !== undefined ? { template_text: f.template_text } : { messages: f.messages ?? [] };
  const parsed = parseBody(body);
  const used = parsed.ok ? parsed.parsed.variables : [];
  const definitions: VariableDefinition[] =
    f.variables ?? used.map((v) => ({ name: v, type: 'string', required: true }));
  return new Prompt(
    {
      name,
      template_text: body.template_text ?? null,
      messages: body.messages ?? null,
      variable_definitions: definitions,
      model_config: f.model_config ?? {},
      guardrails: f.guardrails ?? [],
    },
    { label, source: 'fallback' },
  );
}

export type FallbackTemplate =
  | string
  | { role: string; content: string }[]
  | {
      template_text?: string;
      messages?: { role: string; content: string }[];
      variables?: VariableDefinition[];
      model_config?: Record<string, unknown>;
      guardrails?: GuardrailRule[];
    };

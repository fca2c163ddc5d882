import type { LlmCallResult, LlmCallStart } from './llm-telemetry.ts';
import type { GeminiUsageMetadata } from './pricing/usage.ts';

/** The parts of a Gemini / Vertex `generateContent` response both Google SDKs share (REST shape). */
export interface GeminiResponseLike {
  candidates?: { finishReason?: string; content?: { parts?: { text?: string; thought?: boolean }[] } }[];
  usageMetadata?: GeminiUsageMetadata;
  responseId?: string;
  modelVersion?: string;
}

export interface GeminiRequestLike {
  contents?: unknown;
  generationConfig?: GeminiConfigLike;
  config?: GeminiConfigLike;
  systemInstruction?: unknown;
}

interface GeminiConfigLike {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  systemInstruction?: unknown;
}

export function requestParams(config: GeminiConfigLike | undefined): LlmCallStart['request'] {
  if (!config) return undefined;
  return {
    temperature: config.temperature,
    topP: config.topP,
    topK: config.topK,
    maxTokens: config.maxOutputTokens,
    stopSequences: config.stopSequences,
    seed: config.seed,
  };
}

/** Answer text: non-thought text parts of the first candidate. */
export function outputText(response: GeminiResponseLike): string | undefined {
  const parts = response.candidates?.[0]?.content?.parts;
  if (!parts) return undefined;
  return parts
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('');
}

/** Replaces the first candidate's answer text with the redacted text (output guardrails with action redact). */
export function redactOutput(response: GeminiResponseLike, redacted: string): void {
  const parts = response.candidates?.[0]?.content?.parts;
  if (!parts) return;
  let placed = false;
  for (const p of parts) {
    if (typeof p.text !== 'string' || p.thought) continue;
    p.text = placed ? '' : redacted;
    placed = true;
  }
}

export function resultOf(response: GeminiResponseLike): LlmCallResult {
  return new GeminiResult(response);
}

/**
 * A response as telemetry reads it. A class, not an object literal with closures: every LLM call makes one, and its
 * methods (read only for output guardrails and content capture) live once on the prototype.
 */
class GeminiResult implements LlmCallResult {
  readonly responseId: string | undefined;
  readonly responseModel: string | undefined;
  readonly finishReasons: string[];
  readonly usage: { gemini: GeminiUsageMetadata } | undefined;
  readonly #response: GeminiResponseLike;

  constructor(response: GeminiResponseLike) {
    const candidates = response.candidates ?? [];
    const finishReasons: string[] = new Array(candidates.length);
    for (let i = 0; i < candidates.length; i++) finishReasons[i] = lowerReason(candidates[i]!.finishReason);
    this.responseId = response.responseId;
    this.responseModel = response.modelVersion;
    this.finishReasons = finishReasons;
    this.usage = response.usageMetadata ? { gemini: response.usageMetadata } : undefined;
    this.#response = response;
  }

  readOutputText(): string | undefined {
    return outputText(this.#response);
  }

  redactOutput(text: string): void {
    redactOutput(this.#response, text);
  }
}

const REASONS = new Map<string, string>();

/** Gemini's STOP / MAX_TOKENS / SAFETY in the lower case the conventions use (memoised: a handful of values). */
function lowerReason(reason: string | undefined): string {
  if (reason === undefined) return 'unknown';
  let lower = REASONS.get(reason);
  if (lower === undefined) {
    lower = reason.toLowerCase();
    if (REASONS.size < 100) REASONS.set(reason, lower);
  }
  return lower;
}

/** Folds stream chunks into one response: text concatenated, the last usage, finish reasons and ids kept. */
export class StreamAccumulator {
  #text = '';
  #last: GeminiResponseLike = {};
  #finish: string[] = [];

  add(chunk: GeminiResponseLike): void {
    this.#text += outputText(chunk) ?? '';
    if (chunk.usageMetadata) this.#last.usageMetadata = chunk.usageMetadata;
    if (chunk.responseId) this.#last.responseId = chunk.responseId;
    if (chunk.modelVersion) this.#last.modelVersion = chunk.modelVersion;
    chunk.candidates?.forEach((c, i) => {
      if (c.finishReason) this.#finish[i] = lowerReason(c.finishReason);
    });
  }

  result(): LlmCallResult {
    return {
      responseId: this.#last.responseId,
      responseModel: this.#last.modelVersion,
      finishReasons: this.#finish.filter(Boolean),
      usage: this.#last.usageMetadata ? { gemini: this.#last.usageMetadata } : undefined,
      outputText: this.#text,
    };
  }
}

/** host and port of a base URL, for server.address / server.port. */
export function serverOf(
  baseUrl: string | undefined,
  fallbackHost: string,
): { address: string; port: number } {
  try {
    const u = new URL(baseUrl ?? `https://${fallbackHost}`);
    return { address: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443 };
  } catch {
    return { address: fallbackHost, port: 443 };
  }
}

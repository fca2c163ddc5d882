import { describe, expect, it } from 'vitest';
import { evaluateGuardrails, type GuardrailRule, guardrailRuleSchema } from './guardrails.ts';

const rule = (r: unknown) => guardrailRuleSchema.parse(r) as GuardrailRule;

describe('guardrail rules', () => {
  it('validates rules and names the bad field', () => {
    const bad = guardrailRuleSchema.safeParse({
      type: 'blocked_pattern',
      name: 'x',
      action: 'block',
      patterns: ['(unclosed'],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['patterns', 0]);
    expect(
      guardrailRuleSchema.safeParse({ type: 'max_length', name: 'x', action: 'redact', max_chars: 5 })
        .success,
    ).toBe(false);
  });

  it('blocks text over the maximum length', () => {
    const out = evaluateGuardrails(
      [rule({ type: 'max_length', name: 'len', action: 'block', max_chars: 5 })],
      'too long',
      'input',
    );
    expect(out.blocked).toBe(true);
    expect(out.verdicts).toEqual([
      {
        rule: 'len',
        type: 'max_length',
        action: 'block',
        detail: 'length 8 exceeds 5 characters',
        matches: 1,
      },
    ]);
  });

  it('redacts PII without keeping the matched text anywhere in the verdict', () => {
    const text = 'mail ada@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111';
    const out = evaluateGuardrails([rule({ type: 'pii', name: 'pii', action: 'redact' })], text, 'input');
    expect(out.text).toBe('mail [REDACTED:EMAIL] or call [REDACTED:PHONE], card [REDACTED:CARD_NUMBER]');
    expect(out.blocked).toBe(false);
    expect(JSON.stringify(out.verdicts)).not.toContain('ada@example.com');
    expect(out.verdicts.map((v) => v.detail)).toEqual(['card_number', 'email', 'phone']);
  });

  it('does not treat a digit run that fails the Luhn check as a card number', () => {
    const out = evaluateGuardrails(
      [rule({ type: 'pii', name: 'pii', action: 'flag', kinds: ['card_number'] })],
      'order 1234 5678 9012 3456',
      'input',
    );
    expect(out.verdicts).toEqual([]);
  });

  it('flags blocked patterns case-insensitively and leaves the text alone', () => {
    const out = evaluateGuardrails(
      [rule({ type: 'blocked_pattern', name: 'secrets', action: 'flag', patterns: ['password'] })],
      'my PASSWORD is',
      'input',
    );
    expect(out).toMatchObject({
      text: 'my PASSWORD is',
      blocked: false,
      verdicts: [{ rule: 'secrets', action: 'flag', matches: 1 }],
    });
  });

  it('applies a rule only at its stage', () => {
    const r = rule({
      type: 'blocked_pattern',
      name: 'o',
      action: 'block',
      patterns: ['x'],
      applies_to: 'output',
    });
    expect(evaluateGuardrails([r], 'x', 'input').blocked).toBe(false);
    expect(evaluateGuardrails([r], 'x', 'output').blocked).toBe(true);
  });
});

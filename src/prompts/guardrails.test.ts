import { describe, expect, it } from 'vitest';
import { evaluateGuardrails, GUARDRAIL_SCAN_LIMIT, type GuardrailRule } from '#sdk/templates';
import { guardrailRuleSchema } from './guardrail-schema.ts';

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

describe('guardrail patterns run in linear time on bounded text', () => {
  it('accepts a catastrophic-backtracking pattern and runs it on RE2: (a+)+$ over 100,000 a\u2019s and a b answers at once', () => {
    const out = evaluateGuardrails(
      [rule({ type: 'blocked_pattern', name: 'redos', action: 'block', patterns: ['(a+)+$'] })],
      `${'a'.repeat(100_000)}b`,
      'input',
    );
    // A backtracking engine would need ~2^100000 steps here; RE2 finds no match in one pass.
    expect(out.blocked).toBe(false);
    expect(out.verdicts).toEqual([]);
  });

  it.each([
    ['(?<!x)secret', 'lookbehind'],
    ['(a)\\1', 'a backreference'],
    ['(unclosed', 'an unclosed group'],
  ])('refuses %s (%s) at publish time with RE2\u2019s reason', (pattern) => {
    const bad = guardrailRuleSchema.safeParse({
      type: 'blocked_pattern',
      name: 'x',
      action: 'block',
      patterns: [pattern],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['patterns', 0],
      message: expect.stringContaining('not a valid RE2 regular expression'),
    });
  });

  it('redacts and counts every match, case-insensitively by default', () => {
    const out = evaluateGuardrails(
      [rule({ type: 'blocked_pattern', name: 'codes', action: 'redact', patterns: ['secret-\\d+'] })],
      'a SECRET-1 b secret-22 c',
      'input',
    );
    expect(out.text).toBe('a [REDACTED:PATTERN_0] b [REDACTED:PATTERN_0] c');
    expect(out.verdicts).toEqual([
      { rule: 'codes', type: 'blocked_pattern', action: 'redact', detail: 'pattern 0', matches: 2 },
    ]);
  });

  it.each([
    ['block', 'block'],
    ['redact', 'flag'],
    ['flag', 'flag'],
  ] as const)(
    'scans at most GUARDRAIL_SCAN_LIMIT characters and says so (a %s rule answers %s for the unread rest)',
    (action, expected) => {
      const text = `${'x'.repeat(GUARDRAIL_SCAN_LIMIT)}secret-1`;
      const out = evaluateGuardrails(
        [rule({ type: 'blocked_pattern', name: 'codes', action, patterns: ['secret-\\d+'] })],
        text,
        'input',
      );
      expect(out.text).toBe(text);
      expect(out.verdicts).toEqual([
        {
          rule: 'codes',
          type: 'blocked_pattern',
          action: expected,
          detail: `scan_limit: only the first ${GUARDRAIL_SCAN_LIMIT} of ${text.length} characters were checked`,
          matches: 0,
        },
      ]);
      expect(out.blocked).toBe(expected === 'block');
    },
  );

  it('finds an email next to 100,000 characters of word text without quadratic backtracking', () => {
    const out = evaluateGuardrails(
      [rule({ type: 'pii', name: 'pii', action: 'redact', kinds: ['email'] })],
      `${'a'.repeat(100_000)} mail ada@example.com`,
      'input',
    );
    expect(out.text.endsWith('mail [REDACTED:EMAIL]')).toBe(true);
  });
});

import { type Labels, matchesAll } from '../labels.ts';
import type { InhibitRule } from './config.ts';

/**
 * Alertmanager's inhibition: an alert matching a rule's target is not notified while an alert matching its source
 * fires with the same values of every `equal` label (a missing label is empty on both sides). An alert that matches
 * both sides cannot be inhibited by alerts that also match both (so never by itself).
 */
export function isInhibited(
  labels: Labels,
  firing: readonly Labels[],
  rules: readonly InhibitRule[],
): boolean {
  return rules.some((rule) => {
    if (!matchesAll(labels, rule.target)) return false;
    const targetIsSource = matchesAll(labels, rule.source);
    return firing.some(
      (source) =>
        source !== labels &&
        matchesAll(source, rule.source) &&
        !(targetIsSource && matchesAll(source, rule.target)) &&
        rule.equal.every((name) => (source[name] ?? '') === (labels[name] ?? '')),
    );
  });
}

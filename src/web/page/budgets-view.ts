import type { Budget, BudgetGroup } from './api-types.ts';
import { el, main } from './dom.ts';
import { fmt } from './format.ts';
import { api } from './session.ts';
import { table } from './widgets.ts';

const money = (text: string) =>
  `$${Number(text).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** How much of the amount is spent, as a bar: over 100 % it is full and marked over. */
function bar(g: BudgetGroup): HTMLElement {
  const percent = Math.round(g.spent_share * 1000) / 10;
  const fill = el('div', { class: 'budget-fill' });
  // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
  fill.style.width = `${Math.min(100, percent)}%`;
  return el(
    'div',
    { class: percent >= 100 ? 'budget-bar over' : 'budget-bar', title: `${percent}% of the amount` },
    fill,
    el('span', {}, `${percent}%`),
  );
}

function budgetCard(b: Budget): HTMLElement {
  const over = (g: BudgetGroup) => g.projected !== null && Number(g.projected) > Number(b.amount);
  return el(
    'div',
    { class: 'card', 'data-table': `budget ${b.name}`, 'data-budget': b.name },
    el(
      'h3',
      {},
      `${b.name}: ${money(b.amount)} a ${b.period}${b.by.length ? ` per ${b.by.join(', ')}` : ''}`,
    ),
    el(
      'p',
      { class: 'note' },
      `${fmt.time(b.period_start)} – ${fmt.time(b.period_end)} (${b.time_zone}); warnings at ${b.warn_at.join(', ')} %` +
        (b.forecast_lookback ? `; projected at the rate of the last ${b.forecast_lookback}` : ''),
    ),
    b.groups.length === 0
      ? el('p', { class: 'empty' }, `Nothing spent this ${b.period}.`)
      : table(b.groups, [
          ...(b.by.length
            ? [
                {
                  label: b.by.join(', '),
                  value: (g: BudgetGroup) => b.by.map((k) => g.labels[k] || '–').join(', '),
                },
              ]
            : []),
          { label: 'spent', value: (g) => money(g.spent), num: true },
          { label: 'of the amount', value: (g) => bar(g) },
          {
            label: 'projected',
            value: (g) => (g.projected === null ? '–' : `${money(g.projected)}${over(g) ? ' (over)' : ''}`),
            num: true,
          },
          { label: 'remaining', value: (g) => money(g.remaining), num: true },
        ]),
  );
}

/** Every budget of the rule files: this period's spend per group, the projection and what remains. */
export async function budgetsView(): Promise<void> {
  const { budgets } = await api<{ budgets: Budget[] }>('/api/v1/budgets');
  main.replaceChildren(
    budgets.length === 0
      ? el('p', { class: 'empty' }, 'No budgets: add a budgets list to a rule file (see the README).')
      : el('div', { class: 'charts' }, ...budgets.map(budgetCard)),
  );
}

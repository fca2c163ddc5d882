// The built-in dashboards: the same figures as the API and the Grafana panels (it reads them from the API).
// The API key lives in this tab's session storage and goes out as a header, never in a URL.

const main = document.getElementById('main');
const KEY = 'promptscope.key';
const DAY = 86_400_000;

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
};

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` } });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) {
    sessionStorage.removeItem(KEY);
    signInProblem = `That key was refused: ${body.error?.message ?? 'unauthorized'}.`;
    render();
    throw new Error('the API key was refused');
  }
  if (!res.ok) throw new Error(body.error?.message ?? `${res.status}`);
  return body;
}

/** Why the last key was refused, shown on the sign-in form until the next attempt. */
let signInProblem = '';

function signIn() {
  const input = el('input', { type: 'password', id: 'key', autocomplete: 'off', placeholder: 'psk_…' });
  const form = el(
    'form',
    { class: 'signin', id: 'signin' },
    el('h2', {}, 'Sign in'),
    el('p', {}, 'An API key with telemetry:read (admin for the templates view).'),
    ...(signInProblem ? [el('p', { class: 'error', role: 'alert' }, signInProblem)] : []),
    input,
    el('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    signInProblem = '';
    sessionStorage.setItem(KEY, input.value.trim());
    render();
  });
  main.replaceChildren(form);
}

const state = { range: '24h', template: '', label: 'production' };
const RANGES = { '1h': 3_600_000, '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
/** The range the view asked for (Unix ms): charts draw exactly this span, whatever the data holds. */
const shown = { from: 0, to: 0 };
const rangeQuery = () => {
  shown.to = Date.now();
  shown.from = shown.to - RANGES[state.range];
  return `from=${shown.from}&to=${shown.to}`;
};

function controls(...extra) {
  const range = el(
    'select',
    { id: 'range' },
    ...Object.keys(RANGES).map((r) => el('option', { value: r }, r)),
  );
  range.value = state.range;
  range.addEventListener('change', () => {
    state.range = range.value;
    render();
  });
  return el('div', { class: 'controls' }, el('label', {}, 'Range', range), ...extra);
}

/** Numbers as a person reads them; the exact value stays available (stat cards show it on hover). */
const fmt = {
  calls: (v) => Number(v).toLocaleString('en-US'),
  /** Money: cents from $1 up, three significant digits below (never a float's tail, never exponent notation). */
  cost: (v) => {
    if (v === null || v === undefined) return '–';
    const n = Number(v);
    if (n === 0) return '$0';
    return Math.abs(n) >= 1
      ? `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
      : `$${n.toLocaleString('en-US', { maximumSignificantDigits: 3, maximumFractionDigits: 20 })}`;
  },
  rate: (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)}%`),
  ms: (v) =>
    v === null || v === undefined
      ? '–'
      : `${Number(v).toLocaleString('en-US', { maximumFractionDigits: Number(v) < 100 ? 1 : 0 })} ms`,
  /** A time in the viewer's own zone, to the second. */
  time: (iso) =>
    iso
      ? new Date(iso).toLocaleString(undefined, {
          year: 'numeric',
          month: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        })
      : '–',
};

function stat(id, label, text, exact) {
  return el(
    'div',
    { class: 'stat', 'data-stat': id },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value', ...(exact !== undefined ? { title: String(exact) } : {}) }, text),
  );
}

/** A series keeps its colour across ranges and views: picked by its name, not its position. */
const COLOURS = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00'];
function colourOf(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return COLOURS[h % COLOURS.length];
}

/** Tick labels with as many decimals as the step between ticks needs: no two ticks read the same. */
function tickFormat(unit) {
  return (_u, splits) => {
    const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 1;
    const decimals = step > 0 ? Math.min(10, Math.max(0, -Math.floor(Math.log10(step)))) : 0;
    return splits.map((v) => {
      const text = v.toLocaleString('en-US', {
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
      });
      return unit === '$' ? `$${text}` : unit ? `${text} ${unit}` : text;
    });
  };
}

function table(rows, columns) {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { class: c.num ? 'num' : '' }, c.label)))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          ...columns.map((c) => {
            const v = c.value(r);
            return el('td', { class: c.num ? 'num' : '' }, v instanceof Node ? v : String(v ?? ''));
          }),
        ),
      ),
    ),
  );
}

/**
 * A uPlot chart of one figure over buckets, one series per group (or one series): its x axis is the range the view
 * asked for, its width its card's, its y labels formatted in `unit` and never clipped. `scale` multiplies values (a
 * rate shown in percent). The drawn x range is on the card (data-x-min / data-x-max, Unix seconds) for tests.
 */
function chart(title, rows, figure, group, o = {}) {
  const unit = o.unit ?? '';
  const card = el('div', { class: 'card chart', 'data-chart': title }, el('h3', {}, title));
  const times = [...new Set(rows.map((r) => Date.parse(r.bucket) / 1000))].sort((a, b) => a - b);
  if (times.length === 0) {
    card.append(el('p', { class: 'empty' }, 'No calls in this range.'));
    return card;
  }
  const groups = group ? [...new Set(rows.map((r) => r[group]))] : [''];
  const series = groups.map((g) =>
    times.map((t) => {
      const r = rows.find((x) => Date.parse(x.bucket) / 1000 === t && (!group || x[group] === g));
      return r && r[figure] !== null ? Number(r[figure]) * (o.scale ?? 1) : null;
    }),
  );
  const from = shown.from / 1000;
  const to = shown.to / 1000;
  const format = tickFormat(unit);
  // What a person reads off the chart, kept on the card for tests: the y tick labels and each series' colour.
  const labels = (u, splits) => {
    const out = format(u, splits);
    card.dataset.yTicks = JSON.stringify(out);
    return out;
  };
  card.dataset.series = JSON.stringify(groups.map((g) => [g || title, colourOf(g || figure)]));
  const opts = {
    width: 300,
    height: 220,
    scales: { x: { time: true, range: () => [from, to] } },
    series: [
      {},
      ...groups.map((g) => ({
        label: g || title,
        stroke: colourOf(g || figure),
        width: 2,
        spanGaps: true,
        points: { show: true },
        value: (u, v) => (v === null ? '–' : format(u, [v, v + 1])[0]),
      })),
    ],
    axes: [
      {},
      {
        values: labels,
        // Wide enough for the longest label: "100,000" never drawn as ",00,000".
        size: (_u, values) => (values ? Math.max(...values.map((v) => String(v).length)) * 7 + 18 : 50),
      },
    ],
  };
  const drawn = (u) => {
    card.dataset.xMin = String(u.scales.x.min);
    card.dataset.xMax = String(u.scales.x.max);
  };
  queueMicrotask(() => {
    const width = () => Math.max(200, card.clientWidth - 24);
    const plot = new uPlot({ ...opts, width: width(), hooks: { draw: [drawn] } }, [times, ...series], card);
    new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height })).observe(card);
  });
  return card;
}

async function overview() {
  const q = rangeQuery();
  const step = state.range === '1h' ? 'minute' : state.range === '24h' ? 'hour' : 'day';
  const [total, byTemplateDay, byTemplate, errors, top] = await Promise.all([
    // Each query computes only the figures it shows: far cheaper over a month of calls than all of them.
    api(
      `/api/v1/analytics/usage?${q}&figures=calls,cost,success_rate,p95_ms,unpriced_share,cost_per_1k_calls`,
    ),
    api(`/api/v1/analytics/usage?${q}&step=${step}&group_by=template&figures=cost,p95_ms`),
    api(`/api/v1/analytics/usage?${q}&group_by=template&figures=calls,cost,p95_ms,unpriced_calls`),
    api(`/api/v1/analytics/usage?${q}&step=${step}&figures=error_rate,output_tokens`),
    api(`/api/v1/analytics/top-calls?${q}&limit=10`),
  ]);
  const t = total.rows[0];
  main.replaceChildren(
    controls(),
    el(
      'div',
      { class: 'stats' },
      stat('calls', 'Calls', fmt.calls(t.calls), t.calls),
      stat('cost', 'Cost', fmt.cost(t.cost), t.cost === null ? undefined : `$${t.cost}`),
      stat('success_rate', 'Success rate', fmt.rate(t.success_rate), t.success_rate ?? undefined),
      stat('p95_ms', 'P95 latency', fmt.ms(t.p95_ms), t.p95_ms === null ? undefined : `${t.p95_ms} ms`),
      stat('unpriced_share', 'Unpriced share', fmt.rate(t.unpriced_share), t.unpriced_share ?? undefined),
      stat(
        'cost_per_1k_calls',
        'Cost per 1k calls',
        fmt.cost(t.cost_per_1k_calls),
        t.cost_per_1k_calls === null ? undefined : `$${t.cost_per_1k_calls}`,
      ),
    ),
    el(
      'div',
      { class: 'charts' },
      chart('Cost by template', byTemplateDay.rows, 'cost', 'template', { unit: '$' }),
      chart('P95 latency by template', byTemplateDay.rows, 'p95_ms', 'template', { unit: 'ms' }),
      chart('Error rate', errors.rows, 'error_rate', undefined, { unit: '%', scale: 100 }),
      chart('Output tokens', errors.rows, 'output_tokens', undefined, { unit: 'tokens' }),
      el(
        'div',
        { class: 'card' },
        el('h3', {}, 'Cost by template'),
        table(byTemplate.rows, [
          { label: 'template', value: (r) => r.template },
          { label: 'calls', value: (r) => fmt.calls(r.calls), num: true },
          { label: 'cost', value: (r) => `$${r.cost}`, num: true },
          { label: 'p95', value: (r) => fmt.ms(r.p95_ms), num: true },
          { label: 'unpriced', value: (r) => fmt.calls(r.unpriced_calls), num: true },
        ]),
      ),
      el(
        'div',
        { class: 'card' },
        el('h3', {}, 'Most expensive calls'),
        table(top.rows, [
          { label: 'at', value: (r) => fmt.time(r.at) },
          { label: 'template', value: (r) => `${r.template}@${r.version}` },
          { label: 'model', value: (r) => r.model },
          { label: 'cost', value: (r) => `$${r.cost}`, num: true },
        ]),
      ),
    ),
  );
}

async function templatePicker(onPick) {
  const templates = await api(`/api/v1/analytics/usage?${rangeQuery()}&group_by=template&figures=calls`);
  const names = templates.rows.map((r) => r.template).filter(Boolean);
  if (!state.template || !names.includes(state.template)) state.template = names[0] ?? '';
  const select = el('select', { id: 'template' }, ...names.map((n) => el('option', { value: n }, n)));
  select.value = state.template;
  select.addEventListener('change', () => {
    state.template = select.value;
    onPick();
  });
  return el('label', {}, 'Template', select);
}

async function templateView() {
  const picker = await templatePicker(render);
  const q = `${rangeQuery()}&template=${encodeURIComponent(state.template)}`;
  const step = state.range === '1h' ? 'minute' : state.range === '24h' ? 'hour' : 'day';
  const [versions, overTime] = await Promise.all([
    api(`/api/v1/analytics/usage?${q}&group_by=version&figures=calls,success_rate,p95_ms,cost,cost_per_call`),
    api(`/api/v1/analytics/usage?${q}&group_by=version&step=${step}&figures=p95_ms,cost`),
  ]);
  main.replaceChildren(
    controls(picker),
    el(
      'div',
      { class: 'charts' },
      el(
        'div',
        { class: 'card', 'data-table': 'versions' },
        el('h3', {}, 'Versions compared'),
        table(versions.rows, [
          { label: 'version', value: (r) => r.version },
          { label: 'calls', value: (r) => r.calls, num: true },
          { label: 'success rate', value: (r) => fmt.rate(r.success_rate), num: true },
          { label: 'p95 ms', value: (r) => r.p95_ms, num: true },
          { label: 'cost', value: (r) => r.cost, num: true },
          { label: 'cost per call', value: (r) => r.cost_per_call, num: true },
        ]),
      ),
      chart('P95 latency by version', overTime.rows, 'p95_ms', 'version', { unit: 'ms' }),
      chart('Cost by version', overTime.rows, 'cost', 'version', { unit: '$' }),
    ),
  );
}

/** Templates whose calls recorded a variant in the range (a split label served them), with those labels. */
async function splitTemplates() {
  const rows = (
    await api(`/api/v1/analytics/usage?${rangeQuery()}&group_by=template,label,variant&figures=calls`)
  ).rows;
  const found = new Map();
  for (const r of rows) {
    if (!r.variant || !r.template) continue;
    if (!found.has(r.template)) found.set(r.template, new Set());
    if (r.label) found.get(r.template).add(r.label);
  }
  return found;
}

/** A comparison with the control: the difference (formatted), its p-value, and a mark when significant. */
function compared(c, format) {
  if (!c) return '–';
  return el(
    'span',
    { class: c.significant ? 'significant' : '', 'data-significant': String(c.significant) },
    `${format(c.difference)} (p=${c.p_value ?? '–'})${c.significant ? ' ✱' : ''}`,
  );
}

async function abView() {
  const splits = await splitTemplates();
  if (splits.size === 0) {
    main.replaceChildren(
      controls(),
      el(
        'p',
        { class: 'empty' },
        'No template served a split in this range. Split a label between versions (PUT /api/v1/admin/templates/{name}/labels/{label} with "split") and the calls that record a variant appear here.',
      ),
    );
    return;
  }
  // Opens on a template that has a split, and on a label that split it.
  if (!splits.has(state.template)) state.template = [...splits.keys()][0];
  const labels = [...splits.get(state.template)];
  if (!labels.includes(state.label)) state.label = labels[0] ?? state.label;
  const template = el(
    'select',
    { id: 'template' },
    ...[...splits.keys()].map((n) => el('option', { value: n }, n)),
  );
  template.value = state.template;
  template.addEventListener('change', () => {
    state.template = template.value;
    render();
  });
  const label = el('select', { id: 'label' }, ...labels.map((l) => el('option', { value: l }, l)));
  label.value = state.label;
  label.addEventListener('change', () => {
    state.label = label.value;
    render();
  });
  const ab = await api(
    `/api/v1/analytics/ab?${rangeQuery()}&template=${encodeURIComponent(state.template)}&label=${encodeURIComponent(state.label)}`,
  );
  const pp = (d) => `${d > 0 ? '+' : ''}${(d * 100).toFixed(2)} pp`;
  const signed = (d) => `${String(d).startsWith('-') ? '' : '+'}${d}`;
  main.replaceChildren(
    controls(el('label', {}, 'Template', template), el('label', {}, 'Split label', label)),
    el(
      'div',
      { class: 'card', 'data-table': 'ab' },
      el('h3', {}, `Variants against ${ab.control ?? '–'} (α = ${ab.alpha}; ✱ significant)`),
      ab.variants.length === 0
        ? el('p', {}, 'No calls recorded a variant of this split in this range.')
        : table(ab.variants, [
            { label: 'variant', value: (r) => r.variant },
            { label: 'calls', value: (r) => r.calls, num: true },
            {
              label: 'error rate [95% CI]',
              value: (r) =>
                `${fmt.rate(r.error_rate)} [${fmt.rate(r.error_rate_ci95[0])}, ${fmt.rate(r.error_rate_ci95[1])}]`,
              num: true,
            },
            {
              label: 'Δ error rate (z-test)',
              value: (r) => compared(r.vs_control?.error_rate, pp),
              num: true,
            },
            { label: 'p95 ms', value: (r) => r.p95_ms, num: true },
            { label: 'cost per call', value: (r) => `$${r.cost_per_call}`, num: true },
            {
              label: 'Δ cost per call (Welch)',
              value: (r) => compared(r.vs_control?.cost_per_call, (d) => `${signed(d)} $`),
              num: true,
            },
            { label: 'tokens per call', value: (r) => r.tokens_per_call, num: true },
            {
              label: 'Δ tokens per call (Welch)',
              value: (r) => compared(r.vs_control?.tokens_per_call, signed),
              num: true,
            },
          ]),
    ),
  );
}

async function templatesView() {
  let list;
  try {
    list = await api('/api/v1/admin/prompts?limit=200');
  } catch (error) {
    main.replaceChildren(el('p', { class: 'error' }, `Templates need an admin key: ${error.message}`));
    return;
  }
  const names = [...new Set(list.templates.map((t) => t.name))];
  const cards = await Promise.all(
    names.map(async (name) => {
      const [versions, history] = await Promise.all([
        api(`/api/v1/admin/templates/${encodeURIComponent(name)}/versions`),
        api(`/api/v1/admin/templates/${encodeURIComponent(name)}/labels/history`),
      ]);
      return el(
        'div',
        { class: 'card', 'data-template': name },
        el('h3', {}, name),
        table(versions.versions, [
          { label: 'version', value: (r) => r.version },
          {
            label: 'labels',
            value: (r) =>
              [
                ...r.labels.filter((l) => !r.split_labels.some((s) => s.label === l)),
                ...r.split_labels.map((s) => `${s.label} (split, weight ${s.weight})`),
              ].join(', '),
          },
          { label: 'created', value: (r) => fmt.time(r.created_at) },
          { label: 'calls 24h', value: (r) => r.stats?.last_24h.calls ?? '–', num: true },
          { label: 'p95 24h', value: (r) => r.stats?.last_24h.p95_ms ?? '–', num: true },
        ]),
        el('h3', {}, 'Label history'),
        table(history.moves, [
          { label: 'label', value: (r) => r.label },
          { label: 'change', value: (r) => r.change },
          { label: 'reason', value: (r) => r.reason },
          { label: 'at', value: (r) => fmt.time(r.moved_at) },
        ]),
      );
    }),
  );
  main.replaceChildren(el('div', { class: 'charts' }, ...cards));
}

async function alertsView() {
  const [active, rules, history] = await Promise.all([
    api('/api/v1/alerts'),
    api('/api/v1/alerts/rules'),
    api('/api/v1/alerts/history?limit=50'),
  ]);
  const firing = active.alerts.filter((a) => a.state === 'firing');
  const failing = rules.groups.flatMap((g) => g.rules).filter((r) => r.health === 'error');
  main.replaceChildren(
    el(
      'div',
      { class: 'stats' },
      stat('firing', 'Firing', String(firing.length)),
      stat('pending', 'Pending', String(active.alerts.length - firing.length)),
      stat('failing-rules', 'Rules failing', String(failing.length)),
    ),
    el(
      'div',
      { class: 'card', 'data-table': 'active alerts' },
      el('h3', {}, 'Active alerts'),
      active.alerts.length === 0
        ? el('p', {}, 'Nothing pending or firing.')
        : table(active.alerts, [
            { label: 'alert', value: (a) => a.alertname },
            { label: 'state', value: (a) => (a.silenced ? `${a.state} (silenced)` : a.state) },
            {
              label: 'labels',
              value: (a) =>
                Object.entries(a.labels)
                  .filter(([k]) => k !== 'alertname')
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', '),
            },
            { label: 'summary', value: (a) => a.annotations.summary ?? '' },
            { label: 'value', value: (a) => a.value, num: true },
            { label: 'since', value: (a) => fmt.time(a.firing_since ?? a.active_since) },
          ]),
    ),
    el(
      'div',
      { class: 'card', 'data-table': 'rules' },
      el('h3', {}, 'Rules'),
      table(
        rules.groups.flatMap((g) => g.rules),
        [
          { label: 'rule', value: (r) => r.key },
          { label: 'condition', value: (r) => `${r.condition} for ${r.for}` },
          { label: 'health', value: (r) => r.health },
          { label: 'last evaluated', value: (r) => fmt.time(r.last_evaluated_at) },
          { label: 'error', value: (r) => r.error ?? '' },
          { label: 'firing', value: (r) => r.firing, num: true },
        ],
      ),
    ),
    el(
      'div',
      { class: 'card', 'data-table': 'history' },
      el('h3', {}, 'Recent changes'),
      table(history.transitions, [
        { label: 'at', value: (t) => fmt.time(t.at) },
        { label: 'rule', value: (t) => t.rule },
        {
          label: 'labels',
          value: (t) =>
            Object.entries(t.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
        },
        { label: 'change', value: (t) => `${t.from} → ${t.to}` },
      ]),
    ),
  );
}

const VIEWS = { overview, template: templateView, ab: abView, templates: templatesView, alerts: alertsView };

async function render() {
  const signedIn = Boolean(sessionStorage.getItem(KEY));
  document.getElementById('signout').hidden = !signedIn;
  if (!signedIn) return signIn();
  const view = Object.hasOwn(VIEWS, location.hash.slice(1)) ? location.hash.slice(1) : 'overview';
  for (const a of document.querySelectorAll('header a'))
    a.classList.toggle('active', a.dataset.view === view);
  main.replaceChildren(el('p', {}, 'Loading…'));
  try {
    await VIEWS[view]();
    main.dataset.ready = view;
  } catch (error) {
    main.replaceChildren(el('p', { class: 'error' }, error.message));
    main.dataset.ready = 'error';
  }
}

document.getElementById('signout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  render();
});
window.addEventListener('hashchange', render);
render();

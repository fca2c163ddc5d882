/**
 * Expands a panel's SQL the way the Grafana ClickHouse plugin does (v4.19+, `pkg/macros/macros.go` and the
 * front end's `applyConditionalAll`): `$__conditionalAll` first, then dashboard variables, then the time macros.
 * Anything `$__` left over is an error, as a panel would fail on it.
 */
export interface GrafanaContext {
  fromMs: number;
  toMs: number;
  intervalSeconds: number;
  /** A variable's selected values, or 'all'. */
  variables: Record<string, string[] | 'all'>;
}

export function expandGrafanaSql(sql: string, c: GrafanaContext): string {
  const valuesOf = (name: string): string[] | 'all' => {
    const v = c.variables[name];
    if (v === undefined) throw new Error(`the panel uses $${name}, which the dashboard does not set`);
    return v;
  };
  let out = sql.replace(
    /\$__conditionalAll\(((?:[^()]|\([^()]*\))*),\s*\$(\w+)\)/g,
    (_, condition: string, name: string) => {
      const v = valuesOf(name);
      return v === 'all' || v.length === 0 || (v.length === 1 && v[0] === '') ? '1=1' : condition;
    },
  );
  const quoted = (v: string[] | 'all') =>
    v === 'all' ? "''" : v.map((x) => `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(',');
  out = out.replace(/\$\{(\w+):singlequote\}/g, (_, name: string) => quoted(valuesOf(name)));
  out = out.replace(/\$\{(\w+)\}|\$(?!__)(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const v = valuesOf((a ?? b)!);
    return v === 'all' ? '' : v.join(',');
  });
  const fromSec = Math.floor(c.fromMs / 1000);
  const toSec = Math.floor(c.toMs / 1000);
  out = out
    .replace(
      /\$__timeFilter_ms\(([^)]+)\)/g,
      (_, col: string) =>
        `${col.trim()} >= fromUnixTimestamp64Milli(${c.fromMs}) AND ${col.trim()} <= fromUnixTimestamp64Milli(${c.toMs})`,
    )
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_, col: string) => `${col.trim()} >= toDateTime(${fromSec}) AND ${col.trim()} <= toDateTime(${toSec})`,
    )
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${c.fromMs})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${c.toMs})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${fromSec})`)
    .replace(/\$__toTime\b/g, `toDateTime(${toSec})`)
    .replace(/\$__interval_s\b/g, String(Math.max(Math.floor(c.intervalSeconds), 1)));
  const left = /\$__\w+/.exec(out);
  if (left) throw new Error(`unexpanded Grafana macro ${left[0]} in:\n${out}`);
  return out;
}

/**
 * A dashboard's variables as a person first opens it: every query variable at All, every text box at its current
 * value; `selected` overrides some.
 */
export function dashboardVariables(
  d: { templating?: { list?: { type?: string; name?: string; current?: { value?: unknown } }[] } },
  selected: Record<string, string[] | 'all'> = {},
): Record<string, string[] | 'all'> {
  const variables: Record<string, string[] | 'all'> = {};
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'query') variables[v.name!] = 'all';
    if (v.type === 'textbox') variables[v.name!] = [String(v.current?.value ?? '')];
  }
  return { ...variables, ...selected };
}

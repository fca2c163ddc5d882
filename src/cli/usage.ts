import { SCOPES } from '../auth/keys.ts';
import { REPORT_USAGE } from './report.ts';

/** The alerts lines of the top-level usage. */
export const ALERTS_USAGE = `  promptscope alerts check [FILE|DIR ...]    validate rule files (default: the configured rules folder): schema,
                                             each query against the empty tables, templates
  promptscope alerts test FILE ...          run rule unit tests (like promtool test rules) [--run REGEX]
  promptscope alerts silence add --matcher NAME=VALUE ... (--for 2h | --until TIME) [--comment TEXT]
  promptscope alerts silence list | expire ID`;

/**
 * Every command's and subcommand's help, by its words: what `promptscope <command> [<sub>] --help` prints on stdout,
 * and what a usage error prints after its message on stderr.
 */
export const HELP: Record<string, string> = {
  start: `usage: promptscope start

The API, the OTLP collector and the alert scheduler in one process, on embedded PostgreSQL and ClickHouse unless
DATABASE_URL / CLICKHOUSE_URL are set; migrates both stores and creates an admin key on first start.
Settings come from the environment (see the README's configuration table).`,
  api: `usage: promptscope api

The API alone (migrates first), for running roles apart.`,
  collector: `usage: promptscope collector

The OTLP/HTTP collector alone on PROMPTSCOPE_OTLP_HOST:PROMPTSCOPE_OTLP_PORT (run 'promptscope migrate up' first).
With PROMPTSCOPE_OTLP_AUTH asking for keys it reads them from Postgres (DATABASE_URL).`,
  scheduler: `usage: promptscope scheduler

The alert evaluator alone, /metrics on PROMPTSCOPE_SCHEDULER_PORT; run several: one evaluates, the others stand by.`,
  migrate: `usage: promptscope migrate up | down [N] | status | sql [--cluster NAME | --cloud] [--after VERSION]

  up        apply every pending migration, Postgres then ClickHouse
  down [N]  revert the last N (default 1), ClickHouse then Postgres
  status    list every migration and its state (on a cluster, each node's newest migration too)
  sql       print every ClickHouse statement up would run, in order, running nothing: for one node, a cluster
            (--cluster, default PROMPTSCOPE_CLICKHOUSE_CLUSTER) or ClickHouse Cloud (--cloud); --after VERSION
            leaves out the migrations up to VERSION`,
  keys: `usage: promptscope keys create --name NAME --scopes SCOPE[,SCOPE…]
       promptscope keys list [--all] [--json]
       promptscope keys revoke ID

Scopes: ${SCOPES.join(', ')}.`,
  'keys create': `usage: promptscope keys create --name NAME --scopes SCOPE[,SCOPE…]

Creates an API key and prints it once (only a hash is stored). Scopes: ${SCOPES.join(', ')}.`,
  'keys list': `usage: promptscope keys list [--all] [--json]

  --all   revoked keys too
  --json  a JSON array, as GET /api/v1/admin/keys answers`,
  'keys revoke': `usage: promptscope keys revoke ID

Revokes a key: every API instance and collector refuses it within 5 s.`,
  report: REPORT_USAGE,
  alerts: `usage: promptscope alerts check [FILE|DIR …] [--json]
       promptscope alerts test FILE|DIR … [--run REGEX]
       promptscope alerts silence add --matcher 'NAME=VALUE' … (--for 2h | --until TIME) [--comment TEXT]
       promptscope alerts silence list [--json]
       promptscope alerts silence expire ID`,
  'alerts check': `usage: promptscope alerts check [FILE|DIR …] [--json]

Validates rule files (default: the configured rules folder): schema, every query against empty tables, templates.
  --json  {"ok", "rules", "groups", "problems": [{"file", "where", "field", "message"}]}`,
  'alerts test': `usage: promptscope alerts test FILE|DIR … [--run REGEX]

Runs rule unit tests, like promtool test rules. --run picks tests whose name matches REGEX.`,
  'alerts silence': `usage: promptscope alerts silence add --matcher 'NAME=VALUE' … (--for 2h | --until TIME) [--comment TEXT]
       promptscope alerts silence list [--json]
       promptscope alerts silence expire ID`,
  'alerts silence add': `usage: promptscope alerts silence add --matcher 'NAME=VALUE' … (--for 2h | --until TIME) [--comment TEXT]

Matchers as Alertmanager writes them: =, !=, =~, !~; every matcher must match.`,
  'alerts silence list': `usage: promptscope alerts silence list [--json]

Active, pending and expired silences.  --json: a JSON array, as GET /api/v1/alerts/silences answers.`,
  'alerts silence expire': `usage: promptscope alerts silence expire ID

Ends a silence now.`,
  prices: `usage: promptscope prices lookup MODEL [--provider NAME] [--at TIME] [--json]
       promptscope prices list [--provider NAME] [--search TEXT] [--json]`,
  'prices lookup': `usage: promptscope prices lookup MODEL [--provider NAME] [--at TIME] [--json]

The price a call to MODEL is charged at (now, or at TIME, ISO 8601): the catalog entry, the catalog (a deployment's
PROMPTSCOPE_PRICES_FILE, promptscope's own, or genai-prices@VERSION), its source and its prices per 1M tokens.
The provider is a gen_ai.provider.name value or a name instrumentations write (openai, anthropic, aws.bedrock, AWS…).
Exit 1 when no catalog prices the model.`,
  'prices list': `usage: promptscope prices list [--provider NAME] [--search TEXT] [--json]

Every price entry in the order they are searched: PROMPTSCOPE_PRICES_FILE, promptscope's own, then the reference data.`,
  reprice: `usage: promptscope reprice --from TIME --to TIME [--model M] [--provider P] [--dry-run] [--json] [--url URL]

Re-prices stored calls in [--from, --to) with the server's current price catalog, each at its own time: calls a
catalog priced (the sdk or the collector) and unpriced ones; a call priced by someone else is left as it was. Changed
calls get a corrected row in llm_calls (figures follow at once, the hourly rollup rebuilds the hours touched) and the
run is recorded in the audit log. Through the API: an admin key from PROMPTSCOPE_API_KEY or the first-start key file.
  --dry-run  count what would change, write nothing
  --json     the API's answer`,
  rollout: `usage: promptscope rollout start TEMPLATE VERSION [--label L] [--step W:HOLD …] [--guard G …] [--window W]
       promptscope rollout status [ID] [--json]
       promptscope rollout pause|resume|abort ID [--reason TEXT]`,
  'rollout start': `usage: promptscope rollout start TEMPLATE VERSION [--label L] [--step W:HOLD …] [--guard G …] [--window W] [--reason TEXT]

Starts a guarded rollout of VERSION on the label (default production), which must serve one version (the control).
  --step 10:5m     the candidate's share and how long it holds, repeated (default 10:5m 25:5m 50:5m, then 100 %)
  --guard G        FIGURE:+N (at most N worse) or FIGURE:xN (at most N times), optionally :min=CALLS, repeated
                   (default error_rate:+0.02 with a significance test, p95_ms:x1.5, 30 calls each)
  --window 5m      how far back the guards compare the two versions
Through the API with an admin key (PROMPTSCOPE_API_KEY or the first-start key file).`,
  'rollout status': `usage: promptscope rollout status [ID] [--json]

The rollout (or the latest 20): state, step, the candidate's share, and what each guard last said.`,
  'rollout pause': `usage: promptscope rollout pause ID [--reason TEXT]

Stops stepping; the label keeps its split.`,
  'rollout resume': `usage: promptscope rollout resume ID [--reason TEXT]

The current step again (its split back on the label), its hold restarted.`,
  'rollout abort': `usage: promptscope rollout abort ID [--reason TEXT]

The label back to the control at once; the rollout ends.`,
  templates: `usage: promptscope templates pull DIR | diff DIR | push DIR [--dry-run] [--url URL]`,
  'templates pull': `usage: promptscope templates pull DIR [--url URL]

Writes every template as DIR/<template>/<version>.yaml (text or messages, variables, model config, guardrails, commit
message) and DIR/<template>/labels.yaml (which version each label serves, or its split).`,
  'templates diff': `usage: promptscope templates diff DIR [--url URL]

What push would do: + a new version, ~ a label move, ! a published version whose file was edited (refused).`,
  'templates push': `usage: promptscope templates push DIR [--dry-run] [--url URL]

Publishes the new version files (in version order) and moves the labels as labels.yaml says; refuses, changing
nothing, when a published version's file was edited (versions are immutable). Labels not in labels.yaml are left
as they are. Through the API with a prompts:write key (PROMPTSCOPE_API_KEY or the first-start key file); a protected
label needs prompts:promote: a move refused for that is named, the rest go ahead, and the push exits 1.`,
  'gemini-server': `usage: promptscope gemini-server [--port N]

A local server that speaks the Gemini API and Vertex AI wire format, for demos and tests.`,
};

/** The help of the longest command path `argv` starts with, e.g. ['alerts', 'silence', 'add', '--for', '2h']. */
export function helpFor(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  for (let n = Math.min(words.length, 3); n > 0; n--) {
    const key = words.slice(0, n).join(' ');
    if (Object.hasOwn(HELP, key)) return HELP[key];
  }
  return undefined;
}

/** A usage error: the message and the command's usage on stderr; exit code 2. */
export function usageError(argv: readonly string[], message: string): number {
  const help = helpFor(argv);
  process.stderr.write(`promptscope: ${message}${help ? `\n\n${help}` : ''}\n`);
  return 2;
}

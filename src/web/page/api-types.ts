/** The API's answers as the page reads them (the OpenAPI document at /openapi.json has them in full). */

/** A row of /api/v1/analytics/usage: the figures asked for, by bucket and the grouped dimensions. */
export interface UsageRow {
  bucket?: string;
  template?: string;
  version?: string;
  label?: string;
  variant?: string;
  tenant?: string;
  user?: string;
  session?: string;
  calls?: number;
  success_rate?: number | null;
  error_rate?: number | null;
  p95_ms?: number | null;
  output_tokens?: number;
  cost?: string;
  cost_per_call?: string | null;
  cost_per_success?: string | null;
  cost_per_1k_calls?: string | null;
  unpriced_calls?: number;
  unpriced_share?: number | null;
  [figure: string]: string | number | null | undefined;
}

export interface Rows<T> {
  from: string;
  to: string;
  rows: T[];
}

export interface TopCall {
  at: string;
  template: string;
  version: string;
  model: string;
  cost: string;
}

export interface Comparison<D = number> {
  difference: D;
  p_value: number | null;
  significant: boolean;
}

export interface AbVariant {
  variant: string;
  calls: number;
  error_rate: number;
  error_rate_ci95: [number, number];
  p95_ms: number;
  cost_per_call: string;
  tokens_per_call: number;
  vs_control?: {
    error_rate: Comparison;
    cost_per_call: Comparison<string>;
    tokens_per_call: Comparison;
  };
}

export interface AbComparison {
  control: string | null;
  alpha: number;
  variants: AbVariant[];
}

export interface TemplateVersion {
  id: string;
  name: string;
  version: string;
  labels: string[];
  split_labels: { label: string; weight: number }[];
  template_text: string | null;
  messages: { role: string; content: string }[] | null;
  variables: string[];
  variable_definitions: {
    name: string;
    type: string;
    required: boolean;
    default?: unknown;
    description?: string;
  }[];
  model_config: Record<string, unknown>;
  guardrails: Record<string, unknown>[];
  commit_message: string;
  created_at: string;
  created_by: string;
  stats?: { last_24h: { calls: number; p95_ms: number | null } } | null;
}

export interface TemplateListEntry {
  name: string;
  description: string;
  tags: string[];
  archived: boolean;
  version_count: number;
  latest_version: string | null;
  updated_at: string;
  labels: Record<string, string>;
}

export interface TemplateSummary {
  name: string;
  description: string;
  tags: string[];
  archived: boolean;
  labels: Record<string, string>;
  splits: Record<string, { version: string; weight: number }[]>;
}

export interface VersionDiff {
  identical: boolean;
  text: { unified: string; added: number; removed: number };
  fields: Record<string, { from: unknown; to: unknown }>;
}

export interface LabelMove {
  label: string;
  change: string;
  reason: string;
  moved_at: string;
  moved_by: string;
}

export interface Alert {
  alertname: string;
  state: string;
  silenced: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
  firing_since: string | null;
  active_since: string;
}

export interface RuleStatus {
  key: string;
  condition: string;
  for: string;
  health: string;
  last_evaluated_at: string | null;
  error: string | null;
  firing: number;
}

export interface Transition {
  at: string;
  rule: string;
  labels: Record<string, string>;
  from: string;
  to: string;
}

/** A call as /api/v1/executions lists it. */
export interface Execution {
  id: string;
  timestamp: string;
  template_name: string;
  template_version: string;
  request_model: string;
  input_tokens: number;
  output_tokens: number;
  cost: string | null;
  duration_ms: number;
  success: boolean;
  error_type: string;
  user_id: string;
  session_id: string;
  tenant: string;
}

export interface BudgetGroup {
  labels: Record<string, string>;
  spent: string;
  projected: string | null;
  remaining: string;
  spent_share: number;
  steps_reached: number[];
}

export interface Budget {
  name: string;
  amount: string;
  period: 'day' | 'month';
  time_zone: string;
  period_start: string;
  period_end: string;
  by: string[];
  warn_at: number[];
  forecast_lookback: string | null;
  groups: BudgetGroup[];
}

export interface GuardVerdict {
  figure: string;
  outcome: 'pass' | 'breach' | 'not_enough_calls';
  candidate: number | null;
  control: number | null;
  limit: string;
  candidate_calls: number;
  control_calls: number;
}

export interface RolloutRow {
  id: string;
  template: string;
  label: string;
  control: string;
  candidate: string;
  state: 'running' | 'paused' | 'promoted' | 'rolled_back' | 'aborted';
  step: number;
  steps: { weight: number; hold: string }[];
  candidate_weight: number;
  reason: string;
  verdict: GuardVerdict[] | null;
  updated_at: string;
}

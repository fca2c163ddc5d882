-- Alerting: per-instance state (the Prometheus state machine, kept across restarts), each rule's last evaluation,
-- the transitions history, notification groups (Alertmanager's notification log), a durable outbox, silences.

-- One row per alert instance (rule + label set) that is pending, firing, or resolved and not yet forgotten.
create table alert_instances (
  rule text not null,                 -- "<group>/<alert>"
  fingerprint text not null,          -- hash of the instance's final label set
  labels jsonb not null,
  annotations jsonb not null default '{}',
  state text not null check (state in ('pending', 'firing', 'resolved')),
  value double precision,
  active_at timestamptz not null,     -- when the condition first held (the `for` clock)
  fired_at timestamptz,
  resolved_at timestamptz,
  keep_firing_since timestamptz,      -- first evaluation the condition no longer held while firing
  last_evaluated_at timestamptz not null,
  primary key (rule, fingerprint)
);

-- Each rule's last evaluation: health, error, how long it took.
create table alert_rule_status (
  rule text primary key,
  last_evaluated_at timestamptz not null,
  evaluation_ms double precision not null,
  health text not null check (health in ('ok', 'error', 'nodata')),
  error text,
  consecutive_errors integer not null default 0
);

-- Every state change of every instance, append-only.
create table alert_history (
  id bigserial primary key,
  rule text not null,
  fingerprint text not null,
  labels jsonb not null,
  from_state text not null,
  to_state text not null,
  value double precision,
  at timestamptz not null
);
create index alert_history_at on alert_history (at desc);

-- The notification log per (receiver, group): what was last sent, and when the group is next looked at.
create table alert_groups (
  receiver text not null,
  group_key text not null,
  group_labels jsonb not null,
  route jsonb not null,               -- group_wait / group_interval / repeat_interval / send_resolved of the route
  created_at timestamptz not null,
  next_flush_at timestamptz not null,
  last_notified_at timestamptz,
  -- The firing alerts the last notification carried (fingerprint → labels, annotations, startsAt): what a later
  -- "resolved" reports, even once the instance itself is forgotten.
  notified_firing jsonb not null default '{}',
  primary key (receiver, group_key)
);

-- Each HTTP request a receiver must get, persisted before it is sent; retried until delivered or expired.
create table alert_outbox (
  id uuid primary key default gen_random_uuid(),   -- the idempotency key receivers see
  receiver text not null,
  integration text not null,                        -- "<receiver>/<kind>[<n>]": rows of one are sent in order
  group_key text not null,
  kind text not null,                               -- webhook | slack | pagerduty | alertmanager
  status text not null,                             -- firing | resolved
  payload jsonb not null,
  created_at timestamptz not null,
  next_attempt_at timestamptz not null,
  expires_at timestamptz not null,
  attempts integer not null default 0,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text
);
create index alert_outbox_pending on alert_outbox (integration, created_at) where delivered_at is null and failed_at is null;

create table alert_silences (
  id uuid primary key default gen_random_uuid(),
  matchers jsonb not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  comment text not null default '',
  created_by text not null,
  created_at timestamptz not null default now(),
  expired_at timestamptz
);

-- Templates: a unique name with immutable versions and movable labels.
create table templates (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  description text not null default '',
  tags text[] not null default '{}',
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  created_by text not null
);

create table template_versions (
  id uuid primary key default gen_random_uuid(),
  template_id uuid not null references templates (id),
  -- Sequence per template, always assigned; `version` is the caller's semver or this number as text.
  version_number integer not null,
  version text not null,
  template_text text,
  messages jsonb,
  variables jsonb not null default '[]',
  model_config jsonb not null default '{}',
  guardrails jsonb not null default '[]',
  commit_message text not null default '',
  content_hash text not null,
  created_at timestamptz not null default now(),
  created_by text not null,
  unique (template_id, version_number),
  unique (template_id, version),
  check ((template_text is null) <> (messages is null))
);

create table template_labels (
  template_id uuid not null references templates (id),
  label text not null,
  version_id uuid not null references template_versions (id),
  updated_at timestamptz not null default now(),
  updated_by text not null,
  primary key (template_id, label)
);

-- Every label move, append-only: "what was in production at time T" and rollbacks.
create table label_moves (
  id bigserial primary key,
  template_id uuid not null references templates (id),
  label text not null,
  from_version_id uuid references template_versions (id),
  to_version_id uuid references template_versions (id),
  reason text not null default '',
  moved_at timestamptz not null default now(),
  moved_by text not null
);
create index label_moves_template on label_moves (template_id, moved_at desc);

-- Guardrails that apply to every template (template-specific ones travel with each version).
create table global_guardrails (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  rule jsonb not null,
  created_at timestamptz not null default now(),
  created_by text not null
);

create table api_keys (
  id text primary key,
  name text not null,
  secret_hash bytea not null,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  created_by text not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  resource_type text not null,
  resource_id text not null,
  details jsonb not null default '{}'
);
create index audit_log_at on audit_log (at desc);

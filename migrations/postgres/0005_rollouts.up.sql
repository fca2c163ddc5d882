-- Guarded rollouts (issue 20): a label's traffic stepped from its control version to a candidate while guards hold,
-- moved back to the control at once when one breaks. The active scheduler advances them; everything it needs to carry
-- on after a restart or a failover is here.
create table rollouts (
  id bigserial primary key,
  template_id uuid not null references templates (id),
  label text not null,
  control_version_id uuid not null references template_versions (id),
  candidate_version_id uuid not null references template_versions (id),
  -- [{ "weight": 10, "hold_ms": 300000 }, …]: the candidate's share at each step and how long it holds
  steps jsonb not null,
  -- [{ "figure": "error_rate", "max_increase": 0.02, "max_ratio": null, "min_calls": 30, "significance": true }, …]
  guards jsonb not null,
  -- how far back the guards compare candidate and control
  window_ms integer not null,
  state text not null check (state in ('running', 'paused', 'promoted', 'rolled_back', 'aborted')),
  step integer not null default 0,
  step_started_at timestamptz not null,
  -- why it paused, rolled back or was aborted (people read it)
  reason text not null default '',
  -- the last judgement: each guard with its figures
  verdict jsonb,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  ended_at timestamptz
);
-- One rollout at a time per label.
create unique index rollouts_one_active on rollouts (template_id, label) where state in ('running', 'paused');

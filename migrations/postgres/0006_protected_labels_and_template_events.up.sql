-- Prompts as code (issue 20): labels only a promote-scoped or admin key may move, as Langfuse's protected labels
-- (one list for every template), and the template changes the notification routes tell (a version published, a label
-- moved), written in the transaction that made the change and routed by the active scheduler.
create table protected_labels (
  label text primary key,
  protected_by text not null,
  protected_at timestamptz not null default now()
);

create table template_events (
  id bigserial primary key,
  -- template.version.published | template.label.moved
  type text not null,
  template text not null,
  actor text not null,
  -- what changed: the version, or the label with where it pointed before and after
  data jsonb not null,
  -- the clock, not the transaction's start: a publish and the labels it took are told in the order they happened
  occurred_at timestamptz not null default clock_timestamp(),
  -- set once the event's notifications are in the outbox
  routed_at timestamptz
);
create index template_events_unrouted on template_events (id) where routed_at is null;

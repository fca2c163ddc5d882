-- Collectors' self-metrics as the scheduler scraped them (only the series metric rules read, and `up`), kept a few
-- hours: a scheduler that takes over evaluates `increase` windows and CollectorDown's `for` with the history the
-- previous one gathered, instead of starting blind.
create table alert_metric_samples (
  name text not null,
  labels jsonb not null,
  at timestamptz not null,
  value double precision not null
);
create index alert_metric_samples_name_at on alert_metric_samples (name, at);

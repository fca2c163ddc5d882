drop table if exists alert_metric_samples;

drop table if exists alert_silences;
drop table if exists alert_outbox;
drop table if exists alert_groups;
drop table if exists alert_history;
drop table if exists alert_rule_status;
drop table if exists alert_instances;

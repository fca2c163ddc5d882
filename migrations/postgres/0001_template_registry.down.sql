drop table if exists audit_log;
drop table if exists api_keys;
drop table if exists global_guardrails;
drop table if exists label_moves;
drop table if exists template_labels;
drop table if exists template_versions;
drop table if exists templates;

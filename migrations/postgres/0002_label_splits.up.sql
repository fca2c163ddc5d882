-- A label may split traffic between versions by weight (A/B); version_id stays the first (control) variant.
alter table template_labels add column split jsonb;
alter table label_moves add column split jsonb;

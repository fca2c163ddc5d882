alter table label_moves drop column if exists split;
alter table template_labels drop column if exists split;

drop table template_events;
drop table protected_labels;

drop table rollouts;

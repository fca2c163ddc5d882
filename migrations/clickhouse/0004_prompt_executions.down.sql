DROP VIEW IF EXISTS prompt_executions;

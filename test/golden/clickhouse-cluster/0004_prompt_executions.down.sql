DROP VIEW IF EXISTS prompt_executions ON CLUSTER 'promptscope' SYNC;

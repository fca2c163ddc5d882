DROP TABLE IF EXISTS budget_status ON CLUSTER 'promptscope' SYNC;

DROP TABLE IF EXISTS budget_status_local ON CLUSTER 'promptscope' SYNC;

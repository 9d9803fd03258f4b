-- Finished jobs are pruned from the Dispatcher a day after they end; their history row keeps the
-- whole final record (JSON, as the Dispatcher stored it) so reads still answer for them.
ALTER TABLE jobs ADD COLUMN model TEXT;
ALTER TABLE jobs ADD COLUMN record TEXT;

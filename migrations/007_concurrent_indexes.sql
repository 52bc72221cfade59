-- pgship:no-transaction
-- pgship:statement-timeout 30min
-- Indexes on tables created by earlier migrations, built CONCURRENTLY so
-- writes are not blocked; one index per statement, run outside a transaction.
-- IF NOT EXISTS lets a partly applied file run again. A build that fails
-- part way leaves an INVALID index that IF NOT EXISTS would then skip: drop
-- it first (the rollback does) and run the migration again.

CREATE INDEX CONCURRENTLY IF NOT EXISTS brands_owner_user_id_idx
    ON brands (owner_user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_open_due_on_idx
    ON projects (due_on)
    WHERE status IN ('open', 'in_progress');

CREATE INDEX CONCURRENTLY IF NOT EXISTS payouts_pending_requested_at_idx
    ON payouts (requested_at)
    WHERE status IN ('pending', 'processing');

CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_active_expires_at_idx
    ON sessions (expires_at)
    WHERE revoked_at IS NULL;

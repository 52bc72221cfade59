-- pgship:no-transaction
-- Rollback of 007_concurrent_indexes: drops its indexes CONCURRENTLY, one per
-- statement, outside a transaction.

DROP INDEX CONCURRENTLY IF EXISTS sessions_active_expires_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS payouts_pending_requested_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS projects_open_due_on_idx;
DROP INDEX CONCURRENTLY IF EXISTS brands_owner_user_id_idx;

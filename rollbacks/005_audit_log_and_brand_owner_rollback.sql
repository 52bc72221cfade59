-- pgship:lock-timeout 10s
-- Rollback of 005_audit_log_and_brand_owner: removes the constraints and
-- columns it added, the project status trigger and its function, and the
-- audit_log table.

ALTER TABLE projects DROP CONSTRAINT IF EXISTS projects_title_not_blank;
ALTER TABLE brands DROP CONSTRAINT IF EXISTS brands_owner_user_id_fkey;
ALTER TABLE brands DROP COLUMN IF EXISTS owner_user_id;
ALTER TABLE creators DROP COLUMN IF EXISTS is_verified;
ALTER TABLE users DROP COLUMN IF EXISTS email_verified_at;

DROP TRIGGER IF EXISTS projects_audit_status_change ON projects;
DROP FUNCTION IF EXISTS audit_project_status_change();

DROP TABLE IF EXISTS audit_log;

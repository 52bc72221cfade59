-- pgship:lock-timeout 10s
-- Rollback of 006_validate_constraints: PostgreSQL cannot mark a constraint
-- NOT VALID again, so each one is dropped and re-added NOT VALID, exactly as
-- 005 left it (no scan of existing rows).

ALTER TABLE brands DROP CONSTRAINT IF EXISTS brands_owner_user_id_fkey;
ALTER TABLE brands
    ADD CONSTRAINT brands_owner_user_id_fkey
    FOREIGN KEY (owner_user_id) REFERENCES users (id) ON DELETE SET NULL
    NOT VALID;

ALTER TABLE projects DROP CONSTRAINT IF EXISTS projects_title_not_blank;
ALTER TABLE projects
    ADD CONSTRAINT projects_title_not_blank CHECK (btrim(title) <> '')
    NOT VALID;

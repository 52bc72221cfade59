-- pgship:lock-timeout 10s
-- pgship:statement-timeout 30min
-- Validates the foreign key and CHECK that 005 added NOT VALID. VALIDATE
-- CONSTRAINT scans the table under a SHARE UPDATE EXCLUSIVE lock, so reads
-- and writes continue while it runs.

ALTER TABLE brands VALIDATE CONSTRAINT brands_owner_user_id_fkey;
ALTER TABLE projects VALIDATE CONSTRAINT projects_title_not_blank;

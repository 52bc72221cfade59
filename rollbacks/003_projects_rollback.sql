-- Rollback of 003_projects: drops project_assignments, projects and the
-- project_status enum.

DROP TABLE IF EXISTS project_assignments;
DROP TABLE IF EXISTS projects;
DROP TYPE IF EXISTS project_status;

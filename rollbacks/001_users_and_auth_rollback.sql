-- Rollback of 001_users_and_auth: drops the auth tables, the users table,
-- the set_updated_at() function and the user_role enum.

DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS users;
DROP FUNCTION IF EXISTS set_updated_at();
DROP TYPE IF EXISTS user_role;

-- Confide on PostgreSQL with two roles: the OWNER runs migrations and owns every table; the APP
-- role, which gunicorn, db_worker and run_schedules connect as, is not the tables' owner and not a
-- superuser, so it cannot disable the audit log's triggers (ALTER TABLE ... DISABLE TRIGGER needs
-- the owner), cannot set session_replication_role (a superuser's setting), and holds no UPDATE,
-- DELETE or TRUNCATE right on the audit tables at all.
--
-- Run as a superuser, once, after the owner's first `manage.py migrate`:
--   psql -v owner=confide_owner -v app=confide_app -v db=confide -f docs/postgresql-roles.sql
-- then run migrate with DATABASE_URL naming confide_owner, and everything else with confide_app.

-- CREATE ROLE confide_owner LOGIN PASSWORD '...';  -- made before the first migrate
-- CREATE ROLE confide_app LOGIN PASSWORD '...' NOSUPERUSER NOCREATEDB NOCREATEROLE;

GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
-- Tables a later migration makes (run by the owner) get the same rights.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- The audit log: the application writes to it and reads it, never changes or removes a row.
REVOKE UPDATE, DELETE, TRUNCATE
  ON auditlog_logentry, records_auditseal, records_sealedentry, audit_readitem FROM :"app";

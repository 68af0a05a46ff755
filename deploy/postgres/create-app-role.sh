#!/usr/bin/env bash
# Creates the role the app connects as: it owns its own schema (so its migrations can create and
# alter tables there) and nothing else: not a superuser, no CREATEDB, no CREATEROLE, no objects in
# `public`. PostgreSQL's image runs this once, on the first start with an empty data directory
# (/docker-entrypoint-initdb.d), as the superuser POSTGRES_USER on the database POSTGRES_DB.
#
#   APP_DB_USER      the role (and its schema), default taskservice
#   APP_DB_PASSWORD  its password (required)
#
# psql reads PGHOST/PGPORT like any client, so the same script sets up any server by hand:
#   POSTGRES_USER=postgres POSTGRES_DB=taskservice APP_DB_PASSWORD=… PGHOST=db.internal ./create-app-role.sh
set -euo pipefail

: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required}"
app_user="${APP_DB_USER:-taskservice}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    --set app_user="$app_user" --set app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT;
-- Connect to this database only; no one else may connect by default either.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'app_user') \gexec
-- Its own schema, first on its search path: tables, indexes, sequences and Alembic's version table go there.
CREATE SCHEMA :"app_user" AUTHORIZATION :"app_user";
SELECT format('ALTER ROLE %I IN DATABASE %I SET search_path = %I', :'app_user', current_database(), :'app_user') \gexec
-- Nothing in public (already so since PostgreSQL 15; explicit for older servers).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL

#!/bin/sh
# Run once by the postgres image on an empty data volume
# (/docker-entrypoint-initdb.d): Cadre's two roles and its database, owned by the
# owner role. See README, "Database roles".
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$CADRE_OWNER_PASSWORD" -v app_password="$CADRE_APP_PASSWORD" <<'SQL'
CREATE ROLE cadre_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE cadre_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'app_password';
CREATE DATABASE cadre OWNER cadre_owner;
SQL

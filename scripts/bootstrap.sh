#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: system packages (PostgreSQL, Redis, Chromium)
# when absent, and a virtual environment in .venv with the pinned requirements. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkgs+=(postgresql postgresql-contrib)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v msgfmt >/dev/null 2>&1 || need_pkgs+=(gettext)  # the worker pages' catalogs (docs/i18n.md)
if [ "${LAMDA_SKIP_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${need_pkgs[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "bootstrap: please install these Debian packages as root, then run again: ${need_pkgs[*]}" >&2; exit 2; }
    SUDO="sudo"
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null
  # Debian starts a system-wide redis; the project runs its own on a project port.
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python requirements (first run takes a few minutes)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import django, torch, celery" # fail loudly if the install did not complete
  echo "$want" > "$stamp"
fi

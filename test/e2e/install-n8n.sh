#!/usr/bin/env bash
# Installs a real n8n (2.41.1, the newest this registry serves) for the end-to-end tests, once per machine, into
# $N8N_E2E_HOME (default ~/.cache/n8n-e2e). Uses the Node 24 on PATH (.ci/node24.sh). Prints the n8n binary path.
# From shared/recipes: the pinned lockfile, --ignore-scripts (some install scripts download binaries), then the one
# native module n8n needs (sqlite3) is built against Node 24's headers.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOME_DIR="${N8N_E2E_HOME:-$HOME/.cache/n8n-e2e}"
DIR="$HOME_DIR/n8n-runtime"
STAMP="$DIR/.installed-$(sha256sum "$HERE/n8n-runtime/package-lock.json" | cut -c1-16)-$(node --version)"
if [ ! -f "$STAMP" ]; then
  echo "installing n8n for the end-to-end tests into $DIR (about 3 minutes the first time)" >&2
  rm -rf "$DIR"; mkdir -p "$DIR"
  cp "$HERE/n8n-runtime/package.json" "$HERE/n8n-runtime/package-lock.json" "$DIR/"
  npm install --prefix "$DIR" --ignore-scripts --no-audit --no-fund > "$HOME_DIR/npm-install.log" 2>&1 || { tail -n 30 "$HOME_DIR/npm-install.log" >&2; exit 1; }
  sqlite=(); [ -f /usr/include/sqlite3.h ] && sqlite=(--sqlite=/usr)
  npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")" npm rebuild --prefix "$DIR" sqlite3 --foreground-scripts "${sqlite[@]}" > "$HOME_DIR/sqlite3-build.log" 2>&1 || { tail -n 30 "$HOME_DIR/sqlite3-build.log" >&2; exit 1; }
  (cd "$DIR" && node -e "require('sqlite3'); new (require('isolated-vm').Isolate)().dispose()")
  touch "$STAMP"
fi
echo "$DIR/node_modules/n8n/bin/n8n"

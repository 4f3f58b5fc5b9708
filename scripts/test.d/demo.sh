#!/usr/bin/env bash
# The demo web app (web/demo/): node's test runner over web/demo/test/ — helpers under node, and the
# page end to end in Debian's headless Chromium (/usr/bin/chromium via playwright-core; nothing is
# downloaded; the page is served from 127.0.0.1 only). Needs the WebAssembly clustering core in
# web/dist (built here by scripts/build-wasm when missing). Writes web/demo/screenshots/.
# Ends with one line "N passed, N failed" (node's "# pass N" / "# fail N" [+ "# cancelled N"]).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/node_test_counts.bash

passed=0; failed=0
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/onnxruntime-web ]; then
  echo "demo: node_modules lacks playwright-core/onnxruntime-web: run scripts/setup (npm install) first"
  echo "0 passed, 1 failed"; exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "demo: /usr/bin/chromium not found (apt-get install chromium)"
  echo "0 passed, 1 failed"; exit 1
fi
# Built only when missing, to keep this runner under 3 minutes: a rebuild of a stale core takes minutes
# on a small machine, and keeping web/dist fresh is web.sh's job (scripts/build-wasm --if-missing).
if [ -f web/dist/vlc_wasm.mjs ] && [ -f web/dist/vlc_wasm.wasm ]; then
  newer=$(find core/src core/include wasm -newer web/dist/vlc_wasm.wasm -type f 2>/dev/null | head -1)
  [ -n "$newer" ] && echo "# note: web/dist is older than $newer; the demo tests run on the built core (scripts/build-wasm refreshes it)"
  echo "ok - web/dist WebAssembly core is built"; passed=$((passed + 1))
elif bash scripts/build-wasm; then echo "ok - web/dist WebAssembly core is built"; passed=$((passed + 1));
else echo "not ok - web/dist WebAssembly core is built (scripts/build-wasm)"; failed=$((failed + 1)); fi

run_node_tests demo 170 -- web/demo/test/
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

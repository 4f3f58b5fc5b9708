#!/usr/bin/env bash
# The web package's tests: node's test runner over web/test/ (tokenizer, preprocessing, encoder on
# the tiny CLIP-shaped model, the WASM clustering core against the native CLI, npm pack, the
# pipeline in headless Chromium, the packed package in an app built with Vite, webpack 5 and
# esbuild (bundler.test.mjs, ≈ 40 s), and tsc over the README's examples (types.test.mjs)). Needs
# no network: npm packages come from scripts/setup, the models from models/make_tiny_clip.py
# (checked here to regenerate byte for byte), and the tests serve files from 127.0.0.1 only.
# Ends with one line "N passed, N failed" (node's "# pass N" / "# fail N", plus the regeneration check).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/node_test_counts.bash

passed=0; failed=0

# Missing devDependencies would turn tests into skips; here they are a failure.
for pkg in onnxruntime-web onnxruntime-node playwright-core vite webpack esbuild typescript; do
  if [ ! -d "node_modules/$pkg" ]; then
    echo "web: node_modules is missing $pkg: run scripts/setup (npm install) first"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

# The committed tiny models must be exactly what the generator makes (Debian's python3-onnx + numpy).
py=/usr/bin/python3
if "$py" -c "import onnx, numpy" 2>/dev/null; then
  tmp=$(mktemp -d)
  ok=1
  "$py" models/make_tiny_clip.py --out "$tmp/tiny-clip" 2>/dev/null || ok=0
  "$py" models/make_tiny_clip.py --out "$tmp/broken" --broken-output --dim 8 --hidden 4 --width 4 --merges 0 2>/dev/null || ok=0
  "$py" models/make_tiny_clip.py --out "$tmp/dynamic" --dynamic-length 2>/dev/null || ok=0
  cmp -s "$tmp/dynamic/text_model.onnx" web/test/fixtures/tiny-clip-dynamic/text_model.onnx \
    || { echo "web: web/test/fixtures/tiny-clip-dynamic/text_model.onnx differs from the generator's"; ok=0; }
  for f in vision_model.onnx text_model.onnx vocab.json merges.txt; do
    cmp -s "$tmp/tiny-clip/$f" "models/tiny-clip/$f" || { echo "web: models/tiny-clip/$f differs from what models/make_tiny_clip.py makes"; ok=0; }
    cmp -s "$tmp/broken/$f" "web/test/fixtures/tiny-clip-broken/$f" || { echo "web: web/test/fixtures/tiny-clip-broken/$f differs from the generator's"; ok=0; }
  done
  rm -rf "$tmp"
  if [ "$ok" = 1 ]; then echo "ok - tiny CLIP models regenerate byte for byte"; passed=$((passed + 1));
  else echo "not ok - tiny CLIP models regenerate byte for byte"; failed=$((failed + 1)); fi
else
  echo "# skip: python3-onnx not available, the committed tiny models are used as they are"
fi

# The WebAssembly clustering core of the package (web/dist/vlc_wasm.{mjs,wasm}): built when missing or
# older than the core's sources (scripts/build-wasm, what `npm pack` runs as prepack).
if bash scripts/build-wasm --if-missing; then echo "ok - web/dist WebAssembly core is built"; passed=$((passed + 1));
else echo "not ok - web/dist WebAssembly core is built (scripts/build-wasm)"; failed=$((failed + 1)); fi

run_node_tests web 0 -- web/test/
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

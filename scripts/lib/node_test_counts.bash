# Sourced by the runners in scripts/test.d/ that use node's test runner.
# run_node_tests NAME [TIMEOUT_SECONDS] -- NODE_TEST_ARGS...: runs `node --test` with the TAP
# reporter, shows its output, and adds its "# pass N" / "# fail N" (+ "# cancelled N", counted as
# failures) to the caller's $passed / $failed. No summary (a crash or a timeout) is one failure,
# and so is a non-zero exit with no failed test.
run_node_tests() {
  local name=$1 limit=$2 log rc p f c
  shift 2
  [ "${1:-}" = "--" ] && shift
  log=$(mktemp)
  if [ "$limit" -gt 0 ]; then
    timeout "$limit" node --test --test-reporter=tap --test-concurrency=1 "$@" 2>&1 | tee "$log"
  else
    node --test --test-reporter=tap --test-concurrency=1 "$@" 2>&1 | tee "$log"
  fi
  rc=${PIPESTATUS[0]}
  p=$(grep -E "^# pass [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  f=$(grep -E "^# fail [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  c=$(grep -E "^# cancelled [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  rm -f "$log"
  if [ -z "$p" ] || [ -z "$f" ]; then
    echo "$name: node's test runner printed no summary (exit $rc; 124 = timed out)"
    p=${p:-0}; f=$(( ${f:-0} + 1 ))
  fi
  f=$((f + ${c:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
}

# Sourced by scripts/test and the runners in scripts/test.d/ that run Catch2 v2 executables.
# catch_counts LOG: sets p and f to the test cases passed and failed, read from Catch2's closing
# line ("All tests passed (A assertions in N test cases)" or "test cases: N | P passed | F failed").
# A log without that line (a crash or an abort) counts as one failure.
catch_counts() {
  local log=$1 line
  if grep -q "All tests passed" "$log"; then
    p=$(grep -o "in [0-9]* test case" "$log" | tail -1 | grep -o "[0-9]*"); f=0
  elif grep -q "^test cases:" "$log"; then
    line=$(grep "^test cases:" "$log" | tail -1)
    p=$(echo "$line" | grep -o "[0-9]* passed" | grep -o "[0-9]*"); p=${p:-0}
    f=$(echo "$line" | grep -o "[0-9]* failed" | grep -o "[0-9]*"); f=${f:-1}
  else
    p=0; f=1
  fi
}

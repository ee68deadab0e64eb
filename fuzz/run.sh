#!/bin/sh
# fuzz/run.sh [SECONDS]
#
# Builds the config.json fuzz target (when its sources changed) and runs it for SECONDS
# (default: FUZZ_SECONDS or 120) from the committed seeds in fuzz/corpus plus whatever earlier
# local runs found (.build-fuzz/corpus). Any crash, hang (> 5 s for one input), out-of-memory
# or broken property (see ConfigFuzzTarget.swift) fails the run and leaves the reproducer in
# .build-fuzz/artifacts/. The last line is `fuzz: executions=N seconds=S corpus=C result=ok|FAILED`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
seconds=${1:-${FUZZ_SECONDS:-120}}
work=$repo/.build-fuzz
bin=$work/config-fuzz
mkdir -p "$work/corpus" "$work/artifacts"

stale=1
if [ -x "$bin" ] && [ -z "$(find "$repo/Sources/OCISpec" "$here/ConfigFuzzTarget.swift" -newer "$bin" -name '*.swift' | head -1)" ]; then
    stale=0
fi
if [ $stale = 1 ]; then
    "$here/build.sh" "$bin" >/dev/null || { echo "fuzz: executions=0 seconds=0 corpus=0 result=FAILED (build)"; exit 1; }
fi

# A failed property calls abort(): no Swift backtracer (it waits for a debugger), no leak
# report at exit (libFuzzer's own -detect_leaks covers leaks per input).
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0} \
"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=16384 \
    -dict="$here/config.dict" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$here/corpus" > "$work/fuzz.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/fuzz.log" | tail -1)
corpus=$(ls "$work/corpus" | wc -l)
if [ $rc != 0 ]; then
    grep -E "property failed|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY|Test unit written" "$work/fuzz.log" | head -8
    echo "fuzz: executions=${execs:-?} seconds=${elapsed:-?} corpus=$corpus result=FAILED (exit $rc; log $work/fuzz.log)"
    exit 1
fi
echo "fuzz: executions=${execs:-?} seconds=${elapsed:-$seconds} corpus=$corpus result=ok"

#!/bin/sh
# Runs every libFuzzer target of a -DFUZZ=ON build for a set time and
# prints each one's coverage from libFuzzer's final status line (`make
# fuzz`; docs/testing.md).
#   usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Each target fuzzes BUILD_DIR/tests/fuzz-corpus/<t> (kept between runs:
# what a run learns, the next starts from) over the seeds copied from
# tests/data (BUILD_DIR/tests/fuzz-seeds/<t>).  A crash, leak, sanitizer
# report or timeout stops that target, leaves its reproducer under
# BUILD_DIR/tests/fuzz-findings/<t>/, and makes the script exit 1 after
# the others ran.  Logs: BUILD_DIR/tests/fuzz-logs/<t>.log.
set -u
build=$1
seconds=$2
shift 2
tests=$build/tests
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-ingest native pytest gbench hyperfine locust gotest bmf multipart stats http}
failed=""
mkdir -p "$tests/fuzz-logs"
printf '%-10s %8s %8s %8s %10s %8s  %s\n' target edges of ft execs corpus result
for t in $targets; do
    bin=$tests/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin missing (configure with CC=clang -DFUZZ=ON)" >&2
        exit 2
    fi
    dict=$src/$t.dict
    [ -f "$dict" ] || dict=$src/json.dict
    corpus=$tests/fuzz-corpus/$t
    findings=$tests/fuzz-findings/$t
    log=$tests/fuzz-logs/$t.log
    mkdir -p "$corpus" "$findings"
    # fuzz_http runs the server's threads: libFuzzer's per-input leak
    # check cannot tell their frees from leaks, so LSan checks at exit.
    leaks=1
    [ "$t" = http ] && leaks=0
    ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
        -max_len=65536 -print_final_stats=1 -detect_leaks=$leaks \
        -dict="$dict" -artifact_prefix="$findings/" \
        "$corpus" "$tests/fuzz-seeds/$t" >"$log" 2>&1
    rc=$?
    total=$(sed -n 's/.*INFO: Loaded [0-9]* modules* *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -1)
    last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then result=ok; else result="FINDING (rc $rc, see $log)"; failed="$failed $t"; fi
    printf '%-10s %8s %8s %8s %10s %8s  %s\n' "$t" "${cov:-?}" "${total:-?}" \
        "${ft:-?}" "${execs:-?}" "${corp:-?}" "$result"
done
if [ -n "$failed" ]; then
    echo "fuzz: findings in:$failed" >&2
    exit 1
fi

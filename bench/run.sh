#!/usr/bin/env bash
# bench/run.sh: the ingest benchmark (`make bench` runs it after building).
#
# Starts the real server on an ephemeral loopback port with a temporary
# database, lets bench_ingest post small and large runs to it over HTTP,
# stops the server with SIGTERM, then measures the limits without HTTP
# (jansson, ingest_parse, store_runs_insert) on the same bytes and prints one
# report; the report is also written as JSON to $BUILD/bench/ingest.json.
#
# Environment:
#   BUILD          build folder (default build; relative to the current folder,
#                  else to the repository root)
#   BENCH_CONNS    concurrent connections for small runs (32)
#   BENCH_RUNS     small runs at most (20000)
#   BENCH_SECONDS  time bound of each small-run phase (10)
#   BENCH_POSTS    large-run posts (10)
#   BENCH_THREADS  server worker threads (the server's default when unset)
#   TMPDIR         where the temporary database goes (its file system is shown)
#   BENCH_SCALE    0 skips bench/scale.py (issue 15's table on a generated
#                  2,000 benchmarks x 1,000 runs project; the first run
#                  generates it into $BUILD/bench/scale-2000x1000.db, about
#                  25 minutes on 2 busy cores, and later runs copy it)
#   BENCH_BASELINE another benchvault binary (the old code) that scale.py
#                  measures first, on a copy of the same data, for a
#                  before/after in the same minutes; it then also makes the
#                  cached project, so that both can open it
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) if [ -d "$BUILD" ]; then BUILD=$(cd "$BUILD" && pwd); else BUILD=$root/$BUILD; fi ;;
esac
bv=$BUILD/benchvault
bench=$BUILD/bench/bench_ingest
for exe in "$bv" "$bench"; do
    if [ ! -x "$exe" ]; then
        echo "bench: $exe is missing; build first (make bench)" >&2
        exit 1
    fi
done

conns=${BENCH_CONNS:-32}
runs=${BENCH_RUNS:-20000}
seconds=${BENCH_SECONDS:-10}
posts=${BENCH_POSTS:-10}
limits=(--conns "$conns" --runs "$runs" --seconds "$seconds" --posts "$posts")
serve_extra=()
if [ -n "${BENCH_THREADS:-}" ]; then serve_extra=(--threads "$BENCH_THREADS"); fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/benchvault-bench.XXXXXX")
server_pid=
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # Bounded: the server finishes requests in flight within 10 s.
        for _ in $(seq 150); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db=$tmp/bench.db
(umask 077 && "$bv" token create --db "$db" --create --scope write --name bench \
    2>"$tmp/token.err" | head -n 1 >"$tmp/token") || {
    echo "bench: benchvault token create failed:" >&2
    cat "$tmp/token.err" >&2
    exit 1
}

"$bv" serve --db "$db" --listen 127.0.0.1:0 --quiet "${serve_extra[@]}" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
port=
for _ in $(seq 100); do # 10 s at most
    port=$(sed -n 's|^benchvault .* listening on http://127\.0\.0\.1:\([0-9][0-9]*\) .*|\1|p' \
        "$tmp/serve.out" | head -n 1)
    [ -n "$port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "bench: the server did not start; its output:" >&2
    cat "$tmp/serve.out" "$tmp/serve.err" >&2
    exit 1
fi
echo "bench: server pid $server_pid on 127.0.0.1:$port, database $db" >&2

rc=0
"$bench" http --port "$port" --token-file "$tmp/token" \
    --server-pid "$server_pid" "${limits[@]}" --save "$tmp/http.txt" || rc=1

kill -TERM "$server_pid"
srv_rc=0
wait "$server_pid" || srv_rc=$?
server_pid=
if [ "$srv_rc" -ne 0 ]; then
    echo "bench: the server exited with status $srv_rc; its log:" >&2
    tail -n 20 "$tmp/serve.err" >&2
    rc=1
fi

mkdir -p "$BUILD/bench"
"$bench" direct --dir "$tmp" --load "$tmp/http.txt" "${limits[@]}" \
    --json "$BUILD/bench/ingest.json" --nproc "$(nproc)" \
    --db-fs "$(df -PT "$tmp" | awk 'NR == 2 { print $2 }')" || rc=1
echo "bench: JSON report in $BUILD/bench/ingest.json" >&2
"$BUILD/bench/bench_render" || rc=1
/usr/bin/python3 "$(dirname "$0")/dashboard.py" "$BUILD/benchvault" || rc=1
"$BUILD/bench/bench_agent" --json "$BUILD/bench/agent.json" || rc=1
"$BUILD/bench/bench_stats" --json "$BUILD/bench/stats.json" || rc=1
"$BUILD/bench/bench_changepoint" --json "$BUILD/bench/changepoint.json" || rc=1
if [ "${BENCH_SCALE:-1}" != 0 ]; then
    scale_db=$BUILD/bench/scale-2000x1000.db
    if [ -n "${BENCH_BASELINE:-}" ]; then
        /usr/bin/python3 "$root/bench/scale.py" "$BENCH_BASELINE" \
            --cache "$scale_db" --label baseline \
            --json "$BUILD/bench/scale-baseline.json" || rc=1
    fi
    /usr/bin/python3 "$root/bench/scale.py" "$bv" --cache "$scale_db" \
        --label this --json "$BUILD/bench/scale.json" || rc=1
fi
exit "$rc"

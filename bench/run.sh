#!/usr/bin/env bash
# bench/run.sh — hutong's load benchmark, side by side with a bare 302.
#
#   bench/run.sh            # the default run: 3 interleaved rounds of 6 s per server and scenario (~8 min)
#   bench/run.sh --quick    # smoke run: 1 round of 2 s, 100k links
#   bench/run.sh --rounds 5 --duration 10 --only warm-redis,cold
#   bench/run.sh --compare /tmp/perfwork --only warm-redis,r
#                           # also build hutong from another checkout ("hutong-b")
#                           # and drive it in the same rounds (before/after)
#   bench/run.sh --compare . --b-flags "--event-batch-size 128" --only warm-redis
#                           # the same build with other serve flags as hutong-b
#   bench/run.sh --redis-cpu float   # leave Redis unpinned (default: pinned to wrk's CPU)
#   bench/run.sh --only budget       # the ceiling with 1, 2, 3, 5 µs of busy work per request:
#                           # what a given amount of handler work costs on this machine
#   bench/run.sh --only warm-nats    # the warm tap with --events-url on a nats-server -js the
#                           # script starts (port --nats-port, default 14222), pinned like Redis;
#                           # its CPU per tap is the "nats µs" column
#
# Ports: $HUTONG_PORT (18080), $CEIL_PORT (18081), $HUTONG_B_PORT (18082).
# Every server (hutong or the ceiling) runs pinned to CPU $SERVER_CPU (1),
# wrk pinned to CPU $CLIENT_CPU (0), and the machine's Redis, for the length
# of the run, to wrk's CPU too (--redis-cpu float leaves it where it is,
# --redis-cpu N pins it to CPU N; its affinity is restored at the end), so
# the server's core runs the server and nothing else. In each round the ceiling and hutong are
# driven one after the other (the order flips every round), so both see the
# same machine; ratios are taken per round and summarised by their median.
# CPU per request is the server's utime+stime delta from /proc/<pid>/stat
# over the run divided by the requests wrk completed. Traffic only goes to
# 127.0.0.1. See BENCHMARKS.md.
#
# Needs: go, wrk (installed with apt-get if missing), taskset, redis-cli and
# a Redis at $REDIS_URL; the benchmark owns that database (default DB 14):
# it loads the link set into it and deletes its event stream between runs,
# but never flushes it (pass --flush to FLUSHDB that one database first).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}
ROUNDS=3
DURATION=6
WARMUP=2
CONNS=8
LINKS=1000000
COLD_CACHE=1000
ONLY=""
COMPARE=""
B_FLAGS=""
HUTONG_B_PORT=${HUTONG_B_PORT:-18082}
FLUSH=0
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
REDIS_CPU=${REDIS_CPU:-client}
NATS_PORT=14222
NPID=""
HUTONG_PORT=${HUTONG_PORT:-18080}
CEIL_PORT=${CEIL_PORT:-18081}
KEY=bench-key-hutong-0000000000000000
OUT=${BENCH_OUT:-$ROOT/bench/out}

while [ $# -gt 0 ]; do
  case $1 in
    --quick) ROUNDS=1; DURATION=2; WARMUP=1; LINKS=100000 ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --links) LINKS=$2; shift ;;
    --cold-cache) COLD_CACHE=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --compare) COMPARE=$(cd "$2" && pwd); shift ;;
    --b-flags) B_FLAGS=$2; shift ;;
    --redis) REDIS_URL=$2; shift ;;
    --flush) FLUSH=1 ;;
    --redis-cpu) REDIS_CPU=$2; shift ;;
    --nats-port) NATS_PORT=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

case $REDIS_URL in
  redis://127.0.0.1:*|redis://localhost:*) ;;
  *) echo "bench/run.sh: --redis must be on 127.0.0.1" >&2; exit 2 ;;
esac
REDIS_DB=${REDIS_URL##*/}
REDIS_HOSTPORT=${REDIS_URL#redis://}; REDIS_HOSTPORT=${REDIS_HOSTPORT%%/*}
RCLI=(redis-cli -h "${REDIS_HOSTPORT%%:*}" -p "${REDIS_HOSTPORT##*:}" -n "$REDIS_DB")

# --- tools -------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  echo "wrk missing: installing it with apt-get" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y wrk >/dev/null 2>&1 ||
    { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi
for t in taskset redis-cli go; do
  command -v $t >/dev/null || { echo "bench/run.sh: $t is required" >&2; exit 1; }
done
"${RCLI[@]}" ping >/dev/null || { echo "bench/run.sh: no Redis at $REDIS_URL" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || echo "warning: fewer than 2 CPUs; server and wrk share one" >&2

CLK_TCK=$(getconf CLK_TCK)
PAGE_SIZE=$(getconf PAGESIZE)
mkdir -p "$OUT"
BIN=$OUT/bin
mkdir -p "$BIN"
RESULTS=$OUT/results.tsv
LOG=$OUT/servers.log
: >"$LOG"

echo "== build"
(cd "$ROOT" && go build -o "$BIN/hutong" ./cmd/hutong && go build -o "$BIN/ceiling" ./bench/ceiling &&
  if [ -n "$COMPARE" ]; then (cd "$COMPARE" && go build -o "$BIN/hutong-b" ./cmd/hutong); fi &&
  go build -o "$BIN/loader" ./bench/loader && go build -o "$BIN/codes" ./bench/codes && go build -o "$BIN/bulk" ./bench/bulk)

UA_WECHAT='Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN'
UA_SAFARI='Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'
ITEM='https://item.taobao.com/item.htm?id=541989840451'

# --- processes -----------------------------------------------------------------
PIDS=()
cleanup() {
  restore_redis 2>/dev/null || true
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port pid
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || { echo "bench/run.sh: the server on port $1 exited (see $LOG)" >&2; exit 1; }
    port_open "$1" && return 0
    sleep 0.05
  done
  echo "bench/run.sh: nothing listens on 127.0.0.1:$1 (see $LOG)" >&2; exit 1
}

# start_hutong NAME ARGS... : sets HPID (and BPID, with --compare: the same
# flags on hutong-b, its --data suffixed with -b)
start_hutong() {
  local name=$1; shift
  # The previous scenario's server may still be closing its listener.
  for _ in $(seq 1 100); do port_open $HUTONG_PORT || break; sleep 0.1; done
  ! port_open $HUTONG_PORT || { echo "bench/run.sh: port $HUTONG_PORT is taken" >&2; exit 1; }
  echo "--- hutong $name: $*" >>"$LOG"
  taskset -c "$SERVER_CPU" "$BIN/hutong" serve --listen 127.0.0.1:$HUTONG_PORT --initial-api-key "$KEY" \
    --write-rate-limit -1 --log-level warn "$@" >>"$LOG" 2>&1 &
  HPID=$!; PIDS+=("$HPID")
  wait_port $HUTONG_PORT "$HPID"
  BPID=""
  if [ -n "$COMPARE" ]; then
    local a=() prev=""
    for x in "$@"; do if [ "$prev" = --data ]; then a+=("$x-b"); else a+=("$x"); fi; prev=$x; done
    # shellcheck disable=SC2206 # --b-flags is split on spaces on purpose
    [ -z "$B_FLAGS" ] || a+=($B_FLAGS)
    echo "--- hutong-b $name: ${a[*]}" >>"$LOG"
    taskset -c "$SERVER_CPU" "$BIN/hutong-b" serve --listen 127.0.0.1:$HUTONG_B_PORT --initial-api-key "$KEY" \
      --write-rate-limit -1 --log-level warn "${a[@]}" >>"$LOG" 2>&1 &
    BPID=$!; PIDS+=("$BPID")
    wait_port $HUTONG_B_PORT "$BPID"
  fi
}
stop_hutong() { stop "$HPID"; if [ -n "$BPID" ]; then stop "$BPID"; fi; }
# bcode CODE: the same link on hutong-b (created there when the store is not shared)
BCODE=""
# start_ceiling ARGS... : sets CPID
start_ceiling() {
  echo "--- ceiling: $*" >>"$LOG"
  ! port_open $CEIL_PORT || { echo "bench/run.sh: port $CEIL_PORT is taken" >&2; exit 1; }
  taskset -c "$SERVER_CPU" "$BIN/ceiling" --listen 127.0.0.1:$CEIL_PORT "$@" >>"$LOG" 2>&1 &
  CPID=$!; PIDS+=("$CPID")
  wait_port $CEIL_PORT "$CPID"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# proc_counters PID → "stime_ticks minor_faults context_switches" (all threads)
proc_counters() {
  local s f c
  read -r s f < <(awk '{print $15, $10}' "/proc/$1/stat")
  c=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/{n+=$2} END{print n+0}')
  echo "$s $f $c"
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
redis_pid() { "${RCLI[@]}" info server | awk -F: '/^process_id:/{print $2+0}'; }
RPID=$(redis_pid)
# Pin Redis (all its threads) for the run; restore each thread's own
# affinity on exit (also after a partial failure). Only a process that is
# redis-server here: INFO's process_id of a Redis in a container is not.
REDIS_AFFINITY=()
if [ "$REDIS_CPU" != float ] && [ -n "$RPID" ] && [ "$(cat "/proc/$RPID/comm" 2>/dev/null)" = redis-server ]; then
  [ "$REDIS_CPU" = client ] && REDIS_CPU=$CLIENT_CPU
  for task in /proc/"$RPID"/task/*; do
    tid=${task##*/}
    REDIS_AFFINITY+=("$tid:$(taskset -pc "$tid" 2>/dev/null | awk -F': ' '{print $2}')")
  done
  if taskset -apc "$REDIS_CPU" "$RPID" >/dev/null 2>&1; then
    echo "== Redis (pid $RPID) pinned to CPU $REDIS_CPU for this run"
  else
    echo "warning: cannot pin Redis (pid $RPID) to CPU $REDIS_CPU; it floats" >&2
  fi
elif [ "$REDIS_CPU" != float ]; then
  echo "warning: Redis's pid ${RPID:-?} is not a redis-server on this machine (a container?); not pinning it" >&2
fi
restore_redis() {
  local x
  for x in "${REDIS_AFFINITY[@]:-}"; do
    [ -n "$x" ] && [ -n "${x#*:}" ] && taskset -pc "${x#*:}" "${x%%:*}" >/dev/null 2>&1 || true
  done
}
redis_ticks() { if [ -r "/proc/$RPID/stat" ]; then cpu_ticks "$RPID"; else echo 0; fi; }
# nats_ticks: the CPU of the nats-server of the warm-nats scenario (0 when none runs)
nats_ticks() { if [ -n "$NPID" ] && [ -r "/proc/$NPID/stat" ]; then cpu_ticks "$NPID"; else echo 0; fi; }

create_link() { # port → code
  curl -sf -XPOST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"target\":\"$ITEM\"}" "http://127.0.0.1:$1/api/v1/links" |
    sed -n 's/.*"code":"\([^"]*\)".*/\1/p'
}

# to_us "110.00us" | "4.85ms" | "1.02s" → microseconds
to_us() { awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else if (v ~ /s$/) print n*1e6; else print n }'; }

# drive SCENARIO ROUND WHO PID URL [wrk args...]: one measured run; appends a row to $RESULTS
drive() {
  local scen=$1 round=$2 who=$3 pid=$4 url=$5; shift 5
  local t0 r0 t1 r1 out rps p50 p99 reqs errs
  local k0 k1 n0 n1
  t0=$(cpu_ticks "$pid"); r0=$(redis_ticks); n0=$(nats_ticks); k0=($(proc_counters "$pid"))
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url")
  t1=$(cpu_ticks "$pid"); r1=$(redis_ticks); n1=$(nats_ticks); k1=($(proc_counters "$pid"))
  rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
  reqs=$(awk '/requests in/{print $1}' <<<"$out")
  p50=$(to_us "$(awk '$1=="50%"{print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1=="99%"{print $2}' <<<"$out")")
  errs=$(awk '/Non-2xx or 3xx responses:/{print $5} /Socket errors/{print "sock"}' <<<"$out" | head -1)
  [ -n "$errs" ] && echo "  warning: $scen $who: ${errs} non-2xx/3xx responses or socket errors" >&2
  local cpu_us rcpu_us ncpu_us
  cpu_us=$(awk -v d=$((t1 - t0)) -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d/hz*1e6/n}')
  rcpu_us=$(awk -v d=$((r1 - r0)) -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d/hz*1e6/n}')
  ncpu_us=$(awk -v d=$((n1 - n0)) -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d/hz*1e6/n}')
  printf '%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\n' "$scen" "$round" "$who" "$rps" "$p50" "$p99" "$cpu_us" "$(rss_kib "$pid")" "$rcpu_us" "$ncpu_us" >>"$RESULTS"
  local sys_us flt csw
  sys_us=$(awk -v d=$((k1[0] - k0[0])) -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d/hz*1e6/n}')
  flt=$(awk -v d=$((k1[1] - k0[1])) -v n="$reqs" 'BEGIN{printf "%.3f", d/n}')
  csw=$(awk -v d=$((k1[2] - k0[2])) -v n="$reqs" 'BEGIN{printf "%.3f", d/n}')
  printf '  round %s %-8s %8.0f req/s  p50 %6.0f µs  p99 %7.0f µs  cpu %6s µs/req (sys %s)  faults %s/req  ctxsw %s/req  rss %6s KiB  redis %s µs/req%s\n' \
    "$round" "$who" "$rps" "$p50" "$p99" "$cpu_us" "$sys_us" "$flt" "$csw" "$(rss_kib "$pid")" "$rcpu_us" "${NPID:+  nats $ncpu_us µs/req}"
}

# scenario NAME HUTONG_URL CEIL_URL [wrk args...]: warm-up, then interleaved
# rounds; with --compare, $BURL (hutong-b) joins every round.
scenario() {
  local scen=$1 hurl=$2 curl_=$3; shift 3
  local who=(ceiling hutong) pids=("$CPID" "$HPID") urls=("$curl_" "$hurl")
  if [ -n "$COMPARE" ]; then who+=(hutong-b); pids+=("$BPID"); urls+=("$BURL"); fi
  local i n=${#who[@]}
  for i in $(seq 0 $((n - 1))); do
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$@" "${urls[$i]}" >/dev/null
  done
  for r in $(seq 1 "$ROUNDS"); do
    "${RCLI[@]}" del hutong:events >/dev/null # keep the event stream small between runs
    for k in $(seq 0 $((n - 1))); do # rotate the order every round
      if [ $((r % 2)) = 1 ]; then i=$(((k + r - 1) % n)); else i=$(((n - 1 - k + r) % n)); fi
      drive "$scen" "$r" "${who[$i]}" "${pids[$i]}" "${urls[$i]}" "$@"
    done
  done
}

want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

printf 'scenario\tround\tserver\treq_s\tp50_us\tp99_us\tcpu_us_per_req\trss_kib\tredis_cpu_us_per_req\tnats_cpu_us_per_req\n' >"$RESULTS"
echo "== machine: $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
echo "== $ROUNDS round(s) of ${DURATION}s per server, $CONNS connections, wrk on CPU $CLIENT_CPU, servers on CPU $SERVER_CPU"

if [ "$FLUSH" = 1 ]; then "${RCLI[@]}" flushdb >/dev/null; fi

# --- (1) warm tap, Redis store; (3) /r; (6) interstitial --------------------------
if want warm-redis || want r || want interstitial; then
  start_hutong redis --data "$OUT/data-redis" --redis "$REDIS_URL"
  CODE=$(create_link $HUTONG_PORT)
  B=http://127.0.0.1:$HUTONG_B_PORT
  [ -n "$CODE" ] || { echo "bench/run.sh: cannot create a link (see $LOG; if DB $REDIS_DB holds another API key, rerun with --flush)" >&2; exit 1; }
  start_ceiling
  if want warm-redis; then
    echo "== (1) warm-redis: GET /$CODE, WeChat UA, Redis store"
    BURL=$B/$CODE scenario warm-redis "http://127.0.0.1:$HUTONG_PORT/$CODE" "http://127.0.0.1:$CEIL_PORT/$CODE" -H "User-Agent: $UA_WECHAT"
  fi
  if want r; then
    echo "== (3) r: GET /r?u=$ITEM, WeChat UA"
    BURL="$B/r?u=$ITEM" scenario r "http://127.0.0.1:$HUTONG_PORT/r?u=$ITEM" "http://127.0.0.1:$CEIL_PORT/r?u=$ITEM" -H "User-Agent: $UA_WECHAT"
  fi
  stop "$CPID"
  if want interstitial; then
    curl -sf -A "$UA_SAFARI" "http://127.0.0.1:$HUTONG_PORT/$CODE" >"$OUT/interstitial.html"
    start_ceiling --page "$OUT/interstitial.html"
    echo "== (6) interstitial: GET /$CODE, iOS Safari UA ($(wc -c <"$OUT/interstitial.html") B page; the ceiling sends the same bytes)"
    BURL=$B/$CODE scenario interstitial "http://127.0.0.1:$HUTONG_PORT/$CODE" "http://127.0.0.1:$CEIL_PORT/$CODE" -H "User-Agent: $UA_SAFARI"
    stop "$CPID"
  fi
  stop_hutong
fi

# --- (8) warm tap, event log on NATS JetStream ----------------------------------
# Links and counters in Redis (the counters without the Redis event log), the
# event log on a nats-server -js started here with a fresh store, pinned to
# the CPU Redis gets; its CPU per tap is measured from /proc like Redis's.
if want warm-nats; then
  if ! NATS_BIN=$(command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null); then
    echo "== (8) warm-nats skipped: nats-server not installed (apt-get install nats-server)"
  else
    ! port_open "$NATS_PORT" || { echo "bench/run.sh: port $NATS_PORT is taken (--nats-port)" >&2; exit 1; }
    rm -rf "$OUT/nats"; mkdir -p "$OUT/nats"
    NCPU=$CLIENT_CPU; case $REDIS_CPU in float) NCPU=0-$(($(nproc) - 1)) ;; client) ;; *) NCPU=$REDIS_CPU ;; esac
    echo "--- nats-server -js on $NATS_PORT (CPU $NCPU)" >>"$LOG"
    taskset -c "$NCPU" "$NATS_BIN" -js -sd "$OUT/nats" -a 127.0.0.1 -p "$NATS_PORT" >>"$LOG" 2>&1 &
    NPID=$!; PIDS+=("$NPID")
    wait_port "$NATS_PORT" "$NPID"
    start_hutong nats --data "$OUT/data-nats" --redis "$REDIS_URL" --events-url "nats://127.0.0.1:$NATS_PORT" --events-instance bench
    CODE=$(create_link $HUTONG_PORT)
    [ -n "$CODE" ] || { echo "bench/run.sh: cannot create a link (see $LOG)" >&2; exit 1; }
    start_ceiling
    echo "== (8) warm-nats: GET /$CODE, WeChat UA, Redis store, event log on JetStream (nats-server pid $NPID)"
    BURL=http://127.0.0.1:$HUTONG_B_PORT/$CODE scenario warm-nats "http://127.0.0.1:$HUTONG_PORT/$CODE" "http://127.0.0.1:$CEIL_PORT/$CODE" -H "User-Agent: $UA_WECHAT"
    pub=$(curl -sf "http://127.0.0.1:$HUTONG_PORT/metrics" | awk '/^hutong_track_nats_publish_total/{printf "%s=%s ", substr($1, index($1, "\"") + 1, index(substr($1, index($1, "\"") + 1), "\"") - 1), $2}' || true)
    echo "  JetStream publishes (batch messages): ${pub:-?}; store $(du -sk "$OUT/nats" | cut -f1) KiB"
    stop "$CPID"; stop_hutong
    stop "$NPID"; NPID=""
  fi
fi

# --- (2) warm tap, embedded store -------------------------------------------------
if want warm-embedded; then
  rm -rf "$OUT/data-embedded"
  start_hutong embedded --data "$OUT/data-embedded"
  CODE=$(create_link $HUTONG_PORT)
  if [ -n "$COMPARE" ]; then BURL=http://127.0.0.1:$HUTONG_B_PORT/$(create_link $HUTONG_B_PORT); fi
  start_ceiling
  echo "== (2) warm-embedded: GET /$CODE, WeChat UA, embedded store"
  scenario warm-embedded "http://127.0.0.1:$HUTONG_PORT/$CODE" "http://127.0.0.1:$CEIL_PORT/$CODE" -H "User-Agent: $UA_WECHAT"
  stop "$CPID"; stop_hutong
fi

# --- (4) cold taps, (5) Zipf mix: $LINKS links in Redis -------------------------------
if want cold || want zipf; then
  echo "== loading $LINKS links into $REDIS_URL"
  "$BIN/loader" --redis "$REDIS_URL" --n "$LINKS" --codes "$OUT/codes.txt" --skip-if-loaded
  "$BIN/codes" --codes "$OUT/codes.txt" --dist uniform --draws 1000000 --out "$OUT/uniform.txt" 2>/dev/null
  "$BIN/codes" --codes "$OUT/codes.txt" --dist zipf --s 1.1 --draws 1000000 --out "$OUT/zipf.txt" 2>/dev/null
  start_ceiling
  if want cold; then
    start_hutong cold --data "$OUT/data-cold" --redis "$REDIS_URL" --link-cache-size "$COLD_CACHE"
    echo "== (4) cold: uniform over $LINKS links, --link-cache-size $COLD_CACHE, WeChat UA"
    BURL=http://127.0.0.1:$HUTONG_B_PORT PATHS=$OUT/uniform.txt scenario cold "http://127.0.0.1:$HUTONG_PORT" "http://127.0.0.1:$CEIL_PORT" \
      -H "User-Agent: $UA_WECHAT" -s "$ROOT/bench/lua/paths.lua"
    stop_hutong
  fi
  if want zipf; then
    start_hutong zipf --data "$OUT/data-zipf" --redis "$REDIS_URL"
    echo "== (5) zipf: Zipf(s=1.1) over $LINKS links, default --link-cache-size, WeChat UA"
    BURL=http://127.0.0.1:$HUTONG_B_PORT PATHS=$OUT/zipf.txt scenario zipf "http://127.0.0.1:$HUTONG_PORT" "http://127.0.0.1:$CEIL_PORT" \
      -H "User-Agent: $UA_WECHAT" -s "$ROOT/bench/lua/paths.lua"
    entries=$(curl -sf "http://127.0.0.1:$HUTONG_PORT/metrics" | awk '/^hutong_link_cache_entries /{print $2}' || true)
    echo "  link cache entries after the Zipf runs: ${entries:-?}; RSS $(rss_kib "$HPID") KiB"
    stop_hutong
  fi
  stop "$CPID"
fi

# --- budget: the ceiling plus N µs of busy work per request ---------------------
# Not a hutong scenario: it calibrates the ratios. Each "work-Nus" row is the
# same bare 302 after a busy loop of N µs, driven in the same rounds as the
# plain ceiling, so its ratios say what N µs of handler work per request
# costs here in req/s and CPU (the cost grows faster than N: a slower server
# leaves wrk idle more often and pays more cross-core wake-ups).
if want budget; then
  start_ceiling
  for w in ${BUDGET_US:-1 2 3 5}; do
    echo "--- ceiling --work ${w}us" >>"$LOG"
    taskset -c "$SERVER_CPU" "$BIN/ceiling" --listen 127.0.0.1:$HUTONG_PORT --work "${w}us" >>"$LOG" 2>&1 &
    HPID=$!; PIDS+=("$HPID"); wait_port $HUTONG_PORT "$HPID"
    echo "== budget: the ceiling with ${w} µs of busy work per request (shown as \"hutong\")"
    COMPARE="" scenario "work-${w}us" "http://127.0.0.1:$HUTONG_PORT/AbCdEf7" "http://127.0.0.1:$CEIL_PORT/AbCdEf7" -H "User-Agent: $UA_WECHAT"
    stop "$HPID"
  done
  stop "$CPID"
fi

# --- (7) bulk creation through the API --------------------------------------------
if want bulk; then
  start_hutong bulk --data "$OUT/data-bulk" --redis "$REDIS_URL"
  echo "== (7) bulk: POST /api/v1/links/bulk, 1000 JSONL rows per request, 4 concurrent, into Redis"
  for r in $(seq 1 "$ROUNDS"); do
    t0=$(cpu_ticks "$HPID"); r0=$(redis_ticks)
    line=$(taskset -c "$CLIENT_CPU" "$BIN/bulk" --url "http://127.0.0.1:$HUTONG_PORT" --key "$KEY" --rows 1000 --conc 4 --duration "${DURATION}s")
    t1=$(cpu_ticks "$HPID"); r1=$(redis_ticks)
    n=$(sed -n 's/.*links=\([0-9]*\).*/\1/p' <<<"$line"); lps=$(sed -n 's/.*links_per_s=\([0-9]*\).*/\1/p' <<<"$line")
    cpu_us=$(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d/hz*1e6/n}')
    rcpu_us=$(awk -v d=$((r1 - r0)) -v n="$n" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", d/hz*1e6/n}')
    printf 'bulk\t%s\thutong\t%s\t\t\t%s\t%s\t%s\n' "$r" "$lps" "$cpu_us" "$(rss_kib "$HPID")" "$rcpu_us" >>"$RESULTS"
    printf '  round %s %8s links/s  cpu %6s µs/link  rss %6s KiB  redis %s µs/link\n' "$r" "$lps" "$cpu_us" "$(rss_kib "$HPID")" "$rcpu_us"
  done
  stop_hutong
fi
"${RCLI[@]}" del hutong:events >/dev/null

# --- summary: per-round ratios hutong/ceiling, median over rounds --------------------
echo
echo "== summary (median over rounds; ratios paired per round, hutong/ceiling)"
awk -F'\t' '
  function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
  NR == 1 { next }
  { k = $1 SUBSEP $2; if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 } rounds[$1] = ($2 > rounds[$1] ? $2 : rounds[$1])
    if ($3 == "hutong-b") { B[k] = $4; Bp99[k] = $6; Bc[k] = $7 }
    else if ($3 == "hutong") { H[k] = $4; Hp50[k] = $5; Hp99[k] = $6; Hc[k] = $7; Hr[k] = $8; Hrc[k] = $9; Hnc[k] = $10 }
    else { C[k] = $4; Cp50[k] = $5; Cp99[k] = $6; Cc[k] = $7 } }
  END {
    printf "%-14s %10s %10s %7s %9s %9s %7s %8s %8s %7s %9s %8s %8s\n", "scenario", "hutong/s", "ceiling/s", "ratio", "h p99µs", "c p99µs", "p99 x", "h µs/req", "c µs/req", "cpu x", "max RSS", "redis µs", "nats µs"
    for (s = 1; s <= ns; s++) { n = rounds[order[s]]; sc = order[s]
      delete a; delete b; delete c; delete d; delete e; delete f; delete g; delete h; delete q; delete rc; delete nc; m = 0
      for (r = 1; r <= n; r++) { k = sc SUBSEP r; m++
        a[m] = H[k]; b[m] = C[k]; c[m] = (C[k] > 0 ? H[k] / C[k] : 0); d[m] = Hp99[k]; e[m] = Cp99[k]
        f[m] = (Cp99[k] > 0 ? Hp99[k] / Cp99[k] : 0); g[m] = Hc[k]; h[m] = Cc[k]; q[m] = (Cc[k] > 0 ? Hc[k] / Cc[k] : 0)
        if (Hr[k] > rss[sc]) rss[sc] = Hr[k]; rc[m] = Hrc[k]; nc[m] = Hnc[k]
        if (B[k] > 0) { hb = 1; ba[m] = B[k] / C[k]; bp[m] = (Cp99[k] > 0 ? Bp99[k] / Cp99[k] : 0); bc[m] = Bc[k]; bq[m] = (Cc[k] > 0 ? Bc[k] / Cc[k] : 0) } }
      if (sc == "bulk") { printf "%-14s %10.0f %10s %7s %9s %9s %7s %8.2f %8s %7s %7.1fMi %8.2f   (links/s, µs per link)\n", sc, med(a, m), "-", "-", "-", "-", "-", med(g, m), "-", "-", rss[sc] / 1024, med(rc, m); continue }
      printf "%-14s %10.0f %10.0f %7.2f %9.0f %9.0f %7.2f %8.2f %8.2f %7.2f %7.1fMi %8.2f %8.2f\n", sc, med(a, m), med(b, m), med(c, m), med(d, m), med(e, m), med(f, m), med(g, m), med(h, m), med(q, m), rss[sc] / 1024, med(rc, m), med(nc, m)
      if (hb) printf "%-14s %10s %10s %7.2f %9s %9s %7.2f %8.2f %8s %7.2f   (hutong-b, --compare)\n", "  " sc " (b)", "", "", med(ba, m), "", "", med(bp, m), med(bc, m), "", med(bq, m)
      hb = 0; delete ba; delete bp; delete bc; delete bq }
  }' "$RESULTS"
echo "(raw rows: $RESULTS; server logs: $LOG)"

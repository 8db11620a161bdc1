#!/usr/bin/env bash
# kprod's benchmark: one local Apache Kafka broker (scripts/kafka.sh), the
# same records and settings for every producer, figures and ratios printed.
#   a) kprod produce against kcat -P, 100-byte and 1 KiB records
#   b) kprod produce against kafka-producer-perf-test (Kafka's own tool)
#   c) kprod's TUI under tmux producing flat out against kprod produce
#   d) frame time and key-press-to-screen while producing flat out, and
#      peak memory after BENCH_BIG records
# Usage: scripts/bench.sh   (BENCH_RECORDS, default 1000000; BENCH_BIG,
# default 10000000). Needs Java 17, Maven, kcat, tmux, python3.
set -euo pipefail

N="${BENCH_RECORDS:-1000000}"
BIG="${BENCH_BIG:-10000000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SETTINGS=(acks=all linger.ms=5 batch.size=16384 compression.type=none)
say() { echo "bench: $*" >&2; }
for tool in kcat tmux java python3; do
    command -v "$tool" >/dev/null || { say "$tool is needed"; exit 1; }
done

say "building kprod (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
KPROD="$ROOT/target/release/kprod"
LIBS="$(bash "$ROOT/scripts/kafka.sh" fetch)"
WORK="$(mktemp -d)"
SOCK="kprod-bench-$$"
cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    bash "$ROOT/scripts/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
BOOT="$(bash "$ROOT/scripts/kafka.sh" start 1 "$WORK/kafka")"
say "broker at $BOOT; $N records a run"

now() { date +%s.%N; }
rate() { python3 -c "print(round($1 / ($3 - $2)))"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
X=()
for s in "${SETTINGS[@]}"; do X+=(-X "$s"); done
KCAT_X=(-X acks=all -X linger.ms=5 -X batch.size=16384 -X compression.codec=none)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "records: $N per run; settings: ${SETTINGS[*]}"
echo
for size in 100 1024; do
    file="$WORK/records-$size"
    python3 - "$N" "$size" >"$file" <<'PY'
import random, string, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
chars = string.ascii_letters + string.digits
rnd = random.Random(7)
block = "".join(rnd.choice(chars) for _ in range(size * 64))
out = sys.stdout
for i in range(n):
    o = (i * 7919) % (len(block) - size)
    out.write(block[o:o + size] + "\n")
PY
    t0=$(now)
    kcat -P -b "$BOOT" -t "kcat-$size" "${KCAT_X[@]}" -l "$file"
    t1=$(now)
    kcat_rate=$(rate "$N" "$t0" "$t1")

    t0=$(now)
    "$KPROD" produce -b "$BOOT" -t "kprod-$size" --no-verify --quiet "${X[@]}" \
        --file "$file" >"$WORK/kprod-$size.json" 2>/dev/null
    t1=$(now)
    kprod_rate=$(rate "$N" "$t0" "$t1")
    kprod_own=$(python3 -c "
import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e['name'] == 'performance': print(round(e['records_per_sec']))" "$WORK/kprod-$size.json")

    perf=$(java -cp "$LIBS/*" org.apache.kafka.tools.ProducerPerformance \
        --topic "perf-$size" --num-records "$N" --record-size "$size" --throughput -1 \
        --producer-props bootstrap.servers="$BOOT" "${SETTINGS[@]}" 2>/dev/null | tail -n 1)
    perf_rate=$(echo "$perf" | sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' | cut -d. -f1)

    echo "$size-byte records (wall clock, start-up included):"
    echo "  kcat -P                        $kcat_rate records/s"
    echo "  kprod produce                  $kprod_rate records/s   a) $(ratio "$kprod_rate" "$kcat_rate") of kcat"
    echo "  (its own clock, first record to last ack: $kprod_own records/s)"
    echo "  kafka-producer-perf-test       $perf_rate records/s (its own clock)   b) $(ratio "$kprod_own" "$perf_rate") of perf-test, both on their own clocks"
    echo
done

# The TUI under tmux: a burst of $1 records of 100 bytes, flat out, a key
# pressed every 100 ms; prints the stats file's path.
tui_run() {
    local count=$1 name=$2 stats="$WORK/$2.json"
    tmux -L "$SOCK" new-session -d -x 120 -y 40 \
        "$KPROD -b $BOOT -t tui-$name --no-verify --stats $stats ${X[*]}"
    sleep 3
    tmux -L "$SOCK" send-keys -t 0 Tab
    tmux -L "$SOCK" send-keys -t 0 -l '{str:100}'
    tmux -L "$SOCK" send-keys -t 0 C-r
    sleep 0.3
    tmux -L "$SOCK" send-keys -t 0 -l "$count"
    tmux -L "$SOCK" send-keys -t 0 Enter
    local pid waited=0
    pid=$(tmux -L "$SOCK" list-panes -F '#{pane_pid}')
    grep -q kprod "/proc/$pid/comm" || pid=$(pgrep -P "$pid" -x kprod)
    while ! tmux -L "$SOCK" capture-pane -p -t 0 | grep -q "burst done"; do
        tmux -L "$SOCK" send-keys -t 0 Tab
        sleep 0.1
        waited=$((waited + 1))
        [ "$waited" -lt 12000 ] || { say "the TUI burst did not end"; exit 1; }
    done
    grep VmHWM "/proc/$pid/status" | awk '{printf "%.0f", $2/1024}' >"$WORK/$name.hwm"
    tmux -L "$SOCK" send-keys -t 0 C-c
    sleep 0.5
    tmux -L "$SOCK" send-keys -t 0 C-c
    while [ ! -s "$stats" ]; do sleep 0.2; done
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    echo "$stats"
}

"$KPROD" produce -b "$BOOT" -t tui-headless --no-verify --quiet "${X[@]}" \
    --count "$N" --template '{str:100}' >"$WORK/headless.json" 2>/dev/null
headless=$(python3 -c "
import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e['name'] == 'performance': print(round(e['records_per_sec']))" "$WORK/headless.json")
stats=$(tui_run "$N" small)
read -r tui frame_p50 frame_p99 frame_max key_p50 key_p99 key_max < <(python3 -c "
import json,sys
s = json.load(open(sys.argv[1]))
f, k = s['frame'], s['key_to_screen']
print(round(s['burst']['records_per_sec']), f['p50_ms'], f['p99_ms'], f['max_ms'], k['p50_ms'], k['p99_ms'], k['max_ms'])" "$stats")
echo "Flow mode, {str:100} values, $N records:"
echo "  kprod produce --count          $headless records/s"
echo "  TUI under tmux                 $tui records/s   c) $(ratio "$tui" "$headless") of the non-interactive mode"
echo "  d) frame time p50 $frame_p50 ms, p99 $frame_p99 ms, max $frame_max ms"
echo "     key press to screen p50 $key_p50 ms, p99 $key_p99 ms, max $key_max ms"
echo "     peak memory (VmHWM) after $N records: $(cat "$WORK/small.hwm") MB"
tui_run "$BIG" big >/dev/null
echo "     peak memory (VmHWM) after $BIG records: $(cat "$WORK/big.hwm") MB"

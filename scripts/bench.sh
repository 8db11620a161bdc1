#!/usr/bin/env bash
# kprod's benchmark: one local Apache Kafka broker (scripts/kafka.sh), the
# same records and settings for every producer, figures and ratios printed.
#   a) kprod produce against kcat -P in A/B pairs, 100-byte and 1 KiB
#      records, at kcat's defaults and at the Java client's: wall time, CPU
#      a million records and the ratios; at Java's defaults, kprod with
#      verification on against --no-verify too
#   b) kprod produce against kafka-producer-perf-test (Kafka's own tool),
#      and (b1) the same at 1 KiB to topics of one partition; with each
#      producer, the broker's CPU time a million records
#   c) kprod's TUI under tmux producing flat out against kprod produce
#   d) frame time and key-press-to-screen while producing flat out, and
#      peak memory after BENCH_BIG records
# Usage: scripts/bench.sh   (BENCH_RECORDS, default 1000000; BENCH_KIB_RECORDS,
# for 1 KiB, default a quarter of that; BENCH_BIG, default 10000000;
# BENCH_ROUNDS, default 3). Needs Java 17, Maven, kcat,
# tmux, python3. Run it on an otherwise idle machine: producer and broker
# share its cores.
set -euo pipefail

N="${BENCH_RECORDS:-1000000}"
KIB="${BENCH_KIB_RECORDS:-$((N / 4))}"
BIG="${BENCH_BIG:-10000000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Java's defaults (the producer's, with acks=all) and kcat's (librdkafka's
# batch.size, no idempotence): the two settings of the matrix.
SETTINGS=(acks=all linger.ms=5 batch.size=16384 compression.type=none enable.idempotence=true)
KCAT_DEFAULTS=(batch.size=1000000 linger.ms=5 enable.idempotence=false acks=all compression.type=none)
ROUNDS="${BENCH_ROUNDS:-3}"
say() { echo "bench: $*" >&2; }
for tool in kcat tmux java python3; do
    command -v "$tool" >/dev/null || { say "$tool is needed"; exit 1; }
done

say "building kprod (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
KPROD="$ROOT/target/release/kprod"
LIBS="$(bash "$ROOT/scripts/kafka.sh" fetch)"
WORK="$(mktemp -d)"
# Each TUI run has a tmux server of its own (kprod-bench-PID-NAME): a new
# one on a socket whose server is still exiting fails to start.
SOCK="kprod-bench-$$"
cleanup() {
    for s in "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"-*; do
        [ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null || true
    done
    bash "$ROOT/scripts/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
BOOT="$(bash "$ROOT/scripts/kafka.sh" start 1 "$WORK/kafka")"
say "broker at $BOOT; $N records a run"

now() { date +%s.%N; }
rate() { python3 -c "print(round($1 / ($3 - $2)))"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
median() { python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:]))))" "$@"; }
# kprod produce's own figure, from its performance event.
own() {
    python3 -c "
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e['name'] == 'performance': print(round(e['records_per_sec']))" "$1"
}
# The broker's CPU time so far, in clock ticks; per_million turns the ticks
# since $1 into seconds a million records.
BROKER_PID="$(cat "$WORK/kafka/node-1/pid")"
TICKS="$(getconf CLK_TCK)"
broker_cpu() { awk '{print $14 + $15}' "/proc/$BROKER_PID/stat"; }
per_million() { python3 -c "print(f'{($(broker_cpu) - $1) / $TICKS * 1e6 / ${2:-$N}:.1f}')"; }
median1() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.1f}')" "$@"; }
X=()
for s in "${SETTINGS[@]}"; do X+=(-X "$s"); done
kprod_file() {
    "$KPROD" produce -b "$BOOT" -t "$1" --no-verify --quiet "${X[@]}" \
        --file "$2" >"$WORK/kprod.json" 2>/dev/null
}
# kafka-producer-perf-test's records/s by its own clock: topic $1, size $2,
# $3 records (default $N).
perf_test() {
    java -cp "$LIBS/*" org.apache.kafka.tools.ProducerPerformance \
        --topic "$1" --num-records "${3:-$N}" --record-size "$2" --throughput -1 \
        --producer-props bootstrap.servers="$BOOT" "${SETTINGS[@]}" 2>/dev/null | tail -n 1 |
        sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' | cut -d. -f1
}
KCAT_X=(-X acks=all -X linger.ms=5 -X batch.size=16384 -X compression.codec=none -X enable.idempotence=true)
# A new broker's JVM is slow until it has compiled its hot paths: whoever
# went first ran at half speed. Warm it with records nobody times.
say "warming the broker up"
python3 -c "import sys; sys.stdout.write(('x' * 100 + '\n') * $N)" |
    kcat -P -b "$BOOT" -t warm-up "${KCAT_X[@]}"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "records: $N a run at 100 B, $KIB at 1 KiB; each figure the median of $ROUNDS runs (all runs in brackets)"
echo "settings: Java's defaults ${SETTINGS[*]}; kcat's ${KCAT_DEFAULTS[*]}"
echo
# a) The matrix: kcat -P and kprod produce in A/B pairs, at kcat's defaults
# and at the Java client's, at 100 B and 1 KiB; at Java's defaults also
# kprod with verification on (2: its cost against --no-verify, the broker's
# read-back included in its CPU) and kafka-producer-perf-test (b). Every
# run's wall time, user+system CPU and the broker's CPU go to runs.tsv.
RUNS="$WORK/runs.tsv"
: >"$RUNS"
# Runs a producer under /usr/bin/time and notes it: tool, settings, size,
# records, then the command.
timed() {
    local tool=$1 set=$2 size=$3 n=$4 c0
    shift 4
    c0=$(broker_cpu)
    /usr/bin/time -f '%U %S %e' -o "$WORK/time" "$@" >"$WORK/out" 2>/dev/null
    read -r user sys wall <"$WORK/time"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$set" "$size" "$n" "$wall" \
        "$(python3 -c "print($user + $sys)")" \
        "$(python3 -c "print(($(broker_cpu) - $c0) / $TICKS)")" >>"$RUNS"
}
for size in 100 1024; do
    # 1 KiB runs take five times as long: a quarter of the records keeps
    # the whole bench within 15 minutes.
    n=$N
    [ "$size" = 1024 ] && n=$KIB
    file="$WORK/records-$size"
    python3 - "$n" "$size" >"$file" <<'PY'
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
    for set in kcat java; do
        local_x=() kcat_x=()
        if [ "$set" = kcat ]; then s=("${KCAT_DEFAULTS[@]}"); else s=("${SETTINGS[@]}"); fi
        for x in "${s[@]}"; do
            local_x+=(-X "$x")
            kcat_x+=(-X "${x/compression.type/compression.codec}")
        done
        for round in $(seq "$ROUNDS"); do
            say "$size-byte records, $set's defaults, round $round of $ROUNDS"
            t="$set-$size-$round"
            timed kcat "$set" "$size" "$n" kcat -P -b "$BOOT" -t "kcat-$t" "${kcat_x[@]}" -l "$file"
            timed kprod "$set" "$size" "$n" "$KPROD" produce -b "$BOOT" -t "kprod-$t" \
                --no-verify --quiet "${local_x[@]}" --file "$file"
            [ "$set" = java ] || continue
            own "$WORK/out" >>"$WORK/own-$size"
            timed kprod-verify "$set" "$size" "$n" "$KPROD" produce -b "$BOOT" -t "verify-$t" \
                --quiet "${local_x[@]}" --file "$file"
            c0=$(broker_cpu)
            perf_test "perf-$t" "$size" "$n" >>"$WORK/perf-$size"
            python3 -c "print(($(broker_cpu) - $c0) / $TICKS)" >>"$WORK/perf-cpu-$size"
        done
    done
done
echo "a) kcat -P against kprod produce --file, A/B pairs; CPU is user + system a million records,"
echo "   the broker's CPU a million records beside it; every run in brackets"
python3 - "$RUNS" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tool, setting, size, n, wall, cpu, broker = line.split("\t")
    runs[setting, size, tool].append((float(wall), float(cpu) * 1e6 / int(n), float(broker) * 1e6 / int(n)))
names = {"kcat": "kcat's defaults (batch.size 1000000, no idempotence)", "java": "Java's defaults (batch.size 16384, idempotence)"}
med = lambda xs: statistics.median(xs)
every = lambda xs, f: " ".join(f.format(x) for x in xs)
print(f"  {'tool':<14} {'size':>5} {'wall s':>7} {'CPU s/M':>8} {'broker s/M':>10}  ratio")
for setting in ("kcat", "java"):
    print(f"  {names[setting]}:")
    for size in ("100", "1024"):
        base = runs.get((setting, size, "kcat"))
        for tool in ("kcat", "kprod", "kprod-verify"):
            r = runs.get((setting, size, tool))
            if not r:
                continue
            wall, cpu, broker = (med([x[i] for x in r]) for i in range(3))
            ratio = ""
            if tool == "kprod" and base:
                ratio = f"wall {med([x[0] for x in base]) / wall:.2f}x of kcat (target 1.0x), CPU {cpu / med([x[1] for x in base]):.2f}x kcat's (target 1.2x)"
            if tool == "kprod-verify":
                plain = med([x[0] for x in runs[setting, size, "kprod"]])
                ratio = f"2) wall {plain / wall:.2f}x of --no-verify (target 0.7x)"
            print(f"  {tool:<14} {size:>5} {wall:>7.2f} {cpu:>8.2f} {broker:>10.2f}  {ratio}")
            print(f"  {'':<14} {'':>5} [wall {every([x[0] for x in r], '{:.2f}')}; CPU {every([x[1] for x in r], '{:.2f}')}; broker {every([x[2] for x in r], '{:.2f}')}]")
PY
echo
for size in 100 1024; do
    perf_rate=$(median $(cat "$WORK/perf-$size")) own_rate=$(median $(cat "$WORK/own-$size"))
    echo "$size-byte records, Java's defaults:"
    echo "  kafka-producer-perf-test, own clock $perf_rate records/s [$(echo $(cat "$WORK/perf-$size"))]"
    echo "  kprod produce, own clock            $own_rate records/s [$(echo $(cat "$WORK/own-$size"))]"
    echo "    b) $(ratio "$own_rate" "$perf_rate") of kafka-producer-perf-test"
    echo "  the broker's CPU seconds a million records: perf-test" \
        "$(python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[2:])) * 1e6 / int(sys.argv[1]):.1f}')" \
            "$([ "$size" = 1024 ] && echo "$KIB" || echo "$N")" $(cat "$WORK/perf-cpu-$size"))"
    echo
done

# The Java client puts a batch for every partition that has one ready into
# each ProduceRequest; librdkafka sends one partition's batch a request. On
# the broker's six partitions above, perf-test's broker does less work a
# record. On a topic of one partition both send one batch a request.
say "1024-byte records to topics of one partition"
java -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create \
    --topic one-kprod --partitions 1 >/dev/null
java -cp "$LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create \
    --topic one-perf --partitions 1 >/dev/null
owns=() perfs=() kprod_cpu=() perf_cpu=()
for round in $(seq "$ROUNDS"); do
    c0=$(broker_cpu)
    kprod_file one-kprod "$WORK/records-1024"
    owns+=("$(own "$WORK/kprod.json")") kprod_cpu+=("$(per_million "$c0" "$KIB")")
    c0=$(broker_cpu)
    perfs+=("$(perf_test one-perf 1024 "$KIB")") perf_cpu+=("$(per_million "$c0" "$KIB")")
done
own_rate=$(median "${owns[@]}") perf_rate=$(median "${perfs[@]}")
echo "1024-byte records to a topic of one partition (one batch a request for both):"
echo "  kafka-producer-perf-test, own clock $perf_rate records/s [${perfs[*]}]"
echo "  kprod produce, own clock            $own_rate records/s [${owns[*]}]"
echo "    b1) $(ratio "$own_rate" "$perf_rate") of kafka-producer-perf-test"
echo "  the broker's CPU seconds a million records: kprod $(median1 "${kprod_cpu[@]}")," \
    "perf-test $(median1 "${perf_cpu[@]}")"
echo

# The TUI under tmux: a burst of $1 records of 100 bytes, flat out; with
# $3 = keys, F1 pressed over and over and timed (the timing takes CPU of its
# own, so throughput runs go without). Prints the stats file's path.
tui_run() {
    local count=$1 name=$2 keys=${3:-} stats="$WORK/$2.json" sock="$SOCK-$2"
    tmux -L "$sock" new-session -d -x 120 -y 40 \
        "$KPROD -b $BOOT -t tui-$name --no-verify --stats $stats ${X[*]}"
    sleep 3
    tmux -L "$sock" send-keys -t 0 Tab
    tmux -L "$sock" send-keys -t 0 -l '{str:100}'
    tmux -L "$sock" send-keys -t 0 C-r
    sleep 0.3
    tmux -L "$sock" send-keys -t 0 -l "$count"
    tmux -L "$sock" send-keys -t 0 Enter
    local pid waited=0
    pid=$(tmux -L "$sock" list-panes -F '#{pane_pid}')
    grep -q kprod "/proc/$pid/comm" || pid=$(pgrep -P "$pid" -x kprod)
    if [ "$keys" = keys ]; then
        # Until the burst is done, F1 pressed and timed from outside kprod.
        python3 "$ROOT/scripts/bench_keys.py" "$sock" "$WORK/$name.keys" ||
            { say "the TUI burst did not end"; exit 1; }
    else
        until tmux -L "$sock" capture-pane -p -t 0 | grep -q "burst done"; do
            sleep 0.5
            waited=$((waited + 1))
            [ "$waited" -lt 2400 ] || { say "the TUI burst did not end"; exit 1; }
        done
    fi
    grep VmHWM "/proc/$pid/status" | awk '{printf "%.0f", $2/1024}' >"$WORK/$name.hwm"
    tmux -L "$sock" send-keys -t 0 C-c 2>/dev/null || true
    sleep 0.5
    tmux -L "$sock" send-keys -t 0 C-c 2>/dev/null || true
    while [ ! -s "$stats" ]; do sleep 0.2; done
    tmux -L "$sock" kill-server 2>/dev/null || true
    echo "$stats"
}

# Figures from a stats file: records/s, frame p50 p99 max, key p50 p99 max.
figures() {
    python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
f, k = s['frame'], s['key_to_screen']
print(round(s['burst']['records_per_sec']), f['p50_ms'], f['p99_ms'], f['max_ms'], k['p50_ms'], k['p99_ms'], k['max_ms'], k['count'])" "$1"
}
headlesses=() tuis=()
for round in $(seq "$ROUNDS"); do
    say "flow mode, round $round of $ROUNDS"
    "$KPROD" produce -b "$BOOT" -t "flow-$round" --no-verify --quiet "${X[@]}" \
        --count "$N" --template '{str:100}' >"$WORK/headless.json" 2>/dev/null
    headlesses+=("$(own "$WORK/headless.json")")
    read -r tui _ < <(figures "$(tui_run "$N" "small-$round")")
    tuis+=("$tui")
done
headless=$(median "${headlesses[@]}") tui=$(median "${tuis[@]}")
echo "Flow mode, {str:100} values, $N records, first record to last ack:"
echo "  kprod produce --count               $headless records/s [${headlesses[*]}]"
echo "  the TUI under tmux, Ctrl-R $N    $tui records/s [${tuis[*]}]"
echo "    c) $(ratio "$tui" "$headless") of the non-interactive mode"
echo "    peak memory (VmHWM) after $N records: $(cat "$WORK/small-1.hwm") MB"
echo
say "the TUI with $BIG records"
read -r big frame_p50 frame_p99 frame_max key_p50 key_p99 key_max key_n < <(figures "$(tui_run "$BIG" big keys)")
read -r seen_p50 seen_p99 seen_max seen_n <"$WORK/big.keys"
echo "The TUI producing $BIG records flat out ($big records/s), F1 pressed over and over:"
echo "  d) frame time: p50 $frame_p50 ms, p99 $frame_p99 ms, max $frame_max ms"
echo "     key press to screen, from outside through tmux ($seen_n presses):"
echo "       p50 $seen_p50 ms, p99 $seen_p99 ms, max $seen_max ms"
echo "     key press to screen, inside kprod ($key_n presses): p50 $key_p50 ms, p99 $key_p99 ms, max $key_max ms"
echo "     peak memory (VmHWM) after $BIG records: $(cat "$WORK/big.hwm") MB"

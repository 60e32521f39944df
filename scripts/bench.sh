#!/usr/bin/env bash
# bench.sh - `make bench`: mlprobe's costs, each next to its target and to a
# baseline measured in the same run (ratios, because these machines are
# noisy).  Prints a Markdown table; writes build/bench.json.
set -euo pipefail
cd "$(dirname "$0")/.."
M=build/mlprobe
B=build/progs/bench_loop
N=${BENCH_N:-2000000}
BT_N=${BENCH_BT_N:-500000}	# events per bpftrace run (it is ~7x slower)
SECS=${BENCH_SECS:-10}		# the drop rows: seconds at full speed
SMALL=${BENCH_SMALL:-10000000}	# the RSS rows: events in the two recordings
BIG=${BENCH_BIG:-100000000}
LAT_K=${BENCH_LAT_K:-8}		# the latency row: samples, and flush interval
FLUSH=${BENCH_FLUSH:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in valgrind bpftrace /usr/bin/time node; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing: run scripts/deps.sh" >&2; exit 1; }
done
json() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(eval(process.argv[2]))' "$@"; }

ns() { "$@" | sed -n 's/^ns_per_event //p'; }
# nsb CMD: "MEAN BLOCK_P50" of a bench_loop run (see tests/progs/bench_loop.c)
nsb() { "$@" | awk '/^ns_per_event / { m = $2 } /^block_p50 / { b = $2 } END { print m, b }'; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
adds_up() { [ $(($1 + $2)) = "$3" ] && echo true || echo false; } # DELIVERED DROPPED TOTAL
rec() { "$M" record -q --force -o "$tmp/r" "$@"; }

# 1. Unattached: instructions per probe site (callgrind counts, exact).
ir() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$B" "$1" 100000 >/dev/null 2>&1
	callgrind_annotate "$tmp/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
ir_m=$(ir metric); ir_n=$(ir nop)
extra=$(awk -v a="$ir_m" -v b="$ir_n" 'BEGIN { printf "%.2f", (a - b) / 100000 }')

# 2. Attached metric probe vs the bare uprobe floor (same probe, empty prog).
# Each run also gives the median of its 4096-event blocks, which moves less
# with the host's noise; the ratios against the targets use the means.
# record --batch (the trainer batches, one trap a batch) in the same rounds;
# each of its runs must have written every event with nothing held.  Those
# runs get a ring that holds the whole burst: at full speed a batched span
# costs the trainer less than the consumer spends writing it (a row below
# gives both), so with the default ring a burst of N spans can fill it and
# drop, counted, on a noisy machine.  The drop row after shows that case.
BATCH_RING=${BENCH_BATCH_RING:-256M}
m=(); f=(); s=(); mb=(); fb=(); sb=(); u=(); ub=(); us=(); usb=(); ucpu=()
books() { # EXPECTED: every event written, the books balanced
	local w
	w=$(json "$tmp/r/run.json" "[j.tables.metrics.written + j.tables.spans.written, j.accounting_ok].join(' ')")
	[ "$w" = "$1 true" ] || { echo "bench: --batch run wrote/balanced '$w', want '$1 true'" >&2; exit 1; }
}
for i in 1 2 3; do
	read -r a b <<<"$(nsb rec -- "$B" metric "$N")"; m+=("$a"); mb+=("$b")
	read -r a b <<<"$(nsb rec --bench-floor -- "$B" metric "$N")"; f+=("$a"); fb+=("$b")
	read -r a b <<<"$(nsb rec -- "$B" span "$N")"; s+=("$a"); sb+=("$b")
	read -r a b <<<"$(nsb rec --batch -r "$BATCH_RING" -- "$B" metric "$N")"; u+=("$a"); ub+=("$b"); books "$N"
	read -r a b <<<"$(nsb rec --batch -r "$BATCH_RING" -- "$B" span "$N")"; us+=("$a"); usb+=("$b"); books "$N"
	ucpu+=("$(json "$tmp/r/run.json" "(j.consumer_cpu_s * 1e9 / j.tables.spans.written).toFixed(0)")")
done
mm=$(median3 "${m[@]}"); ff=$(median3 "${f[@]}"); ss=$(median3 "${s[@]}")
mmb=$(median3 "${mb[@]}"); ffb=$(median3 "${fb[@]}"); ssb=$(median3 "${sb[@]}")
mu=$(median3 "${u[@]}"); mub=$(median3 "${ub[@]}"); su=$(median3 "${us[@]}"); sub=$(median3 "${usb[@]}")
ucpu_m=$(median3 "${ucpu[@]}")
uratio=$(awk -v a="$mu" -v b="$ff" 'BEGIN { printf "%.3f", a / b }')
usratio=$(awk -v a="$su" -v b="$ff" 'BEGIN { printf "%.3f", a / b }')
uratio_b=$(awk -v a="$mub" -v b="$ffb" 'BEGIN { printf "%.3f", a / b }')
usratio_b=$(awk -v a="$sub" -v b="$ffb" 'BEGIN { printf "%.3f", a / b }')
machine="$(nproc) cores, $(uname -r), $(grep -o 'pti=[a-z]*' /proc/cmdline || echo 'no pti= on the command line'), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
ratio_b=$(awk -v a="$mmb" -v b="$ffb" 'BEGIN { printf "%.2f", a / b }')
sratio_b=$(awk -v a="$ssb" -v b="$ffb" 'BEGIN { printf "%.2f", a / (2 * b) }')
# The opt-in MLPROBE_NOP5 site (the kernel's trampoline call instead of the
# trap): metric and floor, interleaved with the same loop's default build.
m5=(); f5=()
for i in 1 2 3; do
	m5+=("$(ns rec -- "$B"_nop5 metric "$N")")
	f5+=("$(ns rec --bench-floor -- "$B"_nop5 metric "$N")")
done
mm5=$(median3 "${m5[@]}"); ff5=$(median3 "${f5[@]}")
nop5ratio=$(awk -v a="$mm5" -v b="$mm" 'BEGIN { printf "%.2f", a / b }')
ratio=$(awk -v a="$mm" -v b="$ff" 'BEGIN { printf "%.2f", a / b }')
sratio=$(awk -v a="$ss" -v b="$ff" 'BEGIN { printf "%.2f", a / (2 * b) }')

# 3. Consumer CPU per million events, end to end.
rec -- "$B" metric "$N" >/dev/null
cpu=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log((j.consumer_cpu_s*1e6/j.tables.metrics.written).toFixed(3))' "$tmp/r/run.json")

# 4. Bytes on disk per metric event, for the issue's data set (metrics10:
# 10 names, increasing steps, smooth values computed in float), and beside
# it the same in double and the example trainer.
bytes_per_event() {
	node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));let b=0;for(const f of j.files)if(f.file.startsWith("metrics"))b+=f.bytes;console.log((b/j.tables.metrics.written).toFixed(2))' "$tmp/r/run.json"
}
rec -- build/progs/metrics10 "$N" f32 >/dev/null
bpe=$(bytes_per_event)
rec -- build/progs/metrics10 "$N" f64 >/dev/null
bpe64=$(bytes_per_event)
rec -- build/examples/train --quiet >/dev/null
bpe_train=$(bytes_per_event)

# 5. bpftrace printing the same events (the same USDT probe, its three
# arguments, to a file) against mlprobe's ns/event from this run.  bpftrace
# -c starts the loop with the probe attached, like `record --`; the check on
# the line count makes sure it saw every event.
BA=$PWD/$B
b=()
for i in 1 2 3; do
	b+=("$(bpftrace -o "$tmp/bt.txt" -c "$BA metric $BT_N" -e "usdt:$BA:mlprobe:metric { printf(\"%s %d %d\n\", str(arg0), arg1, arg2); }" 2>"$tmp/bt.err" | sed -n 's/^ns_per_event //p')")
	lines=$(grep -c '^loss ' "$tmp/bt.txt" || true)
	[ "$lines" = "$BT_N" ] || { echo "bench: bpftrace printed $lines of $BT_N events" >&2; bt_short=1; }
done
[ -z "${bt_short:-}" ] || cat "$tmp/bt.err" "$tmp/bt.txt" | grep -iv '^loss ' | head -5 >&2
bt=$(median3 "${b[@]}")
btratio=$(awk -v a="$bt" -v b="$mm" 'BEGIN { printf "%.2f", a / b }')
btratio_u=$(awk -v a="$bt" -v b="$mu" 'BEGIN { printf "%.1f", a / b }')

# 6. Drops at full speed for SECS seconds, default ring size: one producer
# thread, then two.  "emitted" is the producers' own count of probe sites
# executed; delivered and dropped come from run.json.
drops() {
	local em
	em=$(rec -- build/progs/threads "$1" "${SECS}s" | sed -n 's/^emitted //p')
	json "$tmp/r/run.json" "[$em, j.tables.metrics.hits, j.tables.metrics.delivered, j.tables.metrics.dropped].join(' ')"
}
# The --batch span burst of section 2 with the default ring: what it drops
# is counted (delivered + dropped == hits), and how much depends on how
# much CPU the consumer gets beside the trainer.
rec --batch -- "$B" span "$N" >/dev/null
read -r bhit bdel bdr <<<"$(json "$tmp/r/run.json" "[j.tables.spans.hits, j.tables.spans.delivered, j.tables.spans.dropped].join(' ')")"
bexact=$(adds_up "$bdel" "$bdr" "$bhit")
read -r em1 hit1 del1 dr1 <<<"$(drops 1)"
read -r em2 hit2 del2 dr2 <<<"$(drops 2)"
exact2=$(adds_up "$del2" "$dr2" "$em2")

# 7. Consumer RSS (max resident set of `mlprobe record`, GNU time; the
# bench_loop child it waits for holds ~1 MiB) after SMALL and BIG events.
# --batch: the consumer gets the same rows, and 100 M events take minutes,
# not the 10 minutes of 100 M traps where a trap costs 5 us.
rss() {
	/usr/bin/time -f 'maxrss_kib %M' -o "$tmp/time" "$M" record -q --batch --force -o "$tmp/r" -- "$B" metric "$1" >/dev/null
	local w
	w=$(json "$tmp/r/run.json" "j.tables.metrics.written")
	[ "$w" = "$1" ] || echo "bench: RSS run wrote $w of $1 events" >&2
	awk '/^maxrss_kib/ { printf "%.1f", $2 / 1024 }' "$tmp/time"
}
rss_s=$(rss "$SMALL"); rss_b=$(rss "$BIG")
ring_mib=$("$M" record --help | grep -A1 -- '--ring-size' | sed -n 's/.*(default \([0-9]*\)M).*/\1/p')
[ -n "$ring_mib" ] || { echo "bench: cannot read the default ring size from record --help" >&2; exit 1; }

# 8. Probe -> row visible in a flushed file: latency emits LAT_K metrics
# stamped with CLOCK_REALTIME (step), 1370 ms apart (no multiple of the flush
# interval, so they fall at every phase of the flush timer); this loop polls
# the run directory with `mlprobe show` every 10 ms and takes, for each row,
# the time after the poll that first returned it, less its stamp.
"$M" record -q --force -F "$FLUSH" -o "$tmp/lat" -- build/progs/latency "$LAT_K" 1370 >/dev/null &
lpid=$!
seen=0
: >"$tmp/lat.txt"
while kill -0 "$lpid" 2>/dev/null && [ "$seen" -lt "$LAT_K" ]; do
	"$M" show -t metrics -f csv -n 0 "$tmp/lat" 2>/dev/null | awk -F, '$5 == "lat" { print $6, $4 }' >"$tmp/rows" || true
	t=$(date +%s%N)
	while read -r idx stamp; do
		grep -q "^$idx " "$tmp/lat.txt" || echo "$idx $(( (t - stamp) / 1000000 ))" >>"$tmp/lat.txt"
	done <"$tmp/rows"
	seen=$(wc -l <"$tmp/lat.txt")
	sleep 0.01
done
wait "$lpid"
[ "$seen" = "$LAT_K" ] || { echo "bench: saw $seen of $LAT_K latency rows" >&2; exit 1; }
lat_max=$(sort -k2 -g "$tmp/lat.txt" | tail -1 | cut -d' ' -f2)
lat_med=$(sort -k2 -g "$tmp/lat.txt" | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
flush_ms=$(awk -v f="$FLUSH" 'BEGIN { print f * 1000 }')

# 9. Disk of a slow trainer over an hour at -F 1, at a 50x faster clock:
# the example trainer at --sleep-us 2000 (about 440 steps a second here,
# each 4 metrics and 5 spans) recorded with -F 0.02 for SLOW_SECS (72 s)
# makes the 3600 flushes of an hour, each with the rows that a trainer 50
# times slower (about 9 steps a second) logs in a second at -F 1.  Every
# flush leaves its footer behind; the figure is the bytes on disk per
# event against the live bytes (what the files' footers use, read by
# hyparquet).
SLOW_SECS=${BENCH_SLOW_SECS:-72}
build/examples/train --quiet --sleep-us 2000 --steps 1000000000 >/dev/null &
tpid=$!
timeout -s INT "$SLOW_SECS" "$M" record -q --force -F 0.02 -o "$tmp/slow" -p "$tpid" >/dev/null || true
kill "$tpid"; wait "$tpid" 2>/dev/null || true
read -r slow_disk slow_live slow_rows _ <<<"$(node tests/duckdb/live_bytes.mjs "$tmp"/slow/*.parquet)"
slow_secs=$(json "$tmp/slow/run.json" "((j.end_ns - j.start_ns) / 1e9).toFixed(1)")
slow_flushes=$(awk -v s="$slow_secs" 'BEGIN { printf "%d", s / 0.02 }')
slow_bpe=$(awk -v a="$slow_disk" -v n="$slow_rows" 'BEGIN { printf "%.2f", a / n }')
slow_lbpe=$(awk -v a="$slow_live" -v n="$slow_rows" 'BEGIN { printf "%.2f", a / n }')
slow_ratio=$(awk -v a="$slow_disk" -v b="$slow_live" 'BEGIN { printf "%.2f", a / b }')
slow_files=$(ls "$tmp"/slow/*.parquet | wc -l)

# 10. What the time accounting (where a span's time went) costs.  pingpong
# passes a byte between two threads pinned to one CPU: each round trip is
# two context switches and two wakeups.  Not recorded; recorded, its
# threads with state (each switch and wakeup accounted); recorded, its
# threads without (they hit no probe: the process's own cost of being
# recorded); and not recorded while another process is (the hooks run for
# every task on the machine).  Interleaved, medians of 3.  Then
# kernel.bpf_stats gives the time of the hooks themselves per run, while a
# recorded pingpong runs.
PP_N=${BENCH_PP_N:-180000}
pp() { "$@" | sed -n 's/^ns_per_round //p'; }
p0=(); p1=(); p2=(); p3=()
for i in 1 2 3; do
	p0+=("$(pp build/progs/pingpong "$PP_N" quiet)")
	p1+=("$(pp rec -- build/progs/pingpong "$PP_N")")
	p3+=("$(pp rec -- build/progs/pingpong "$PP_N" quiet)")
done
"$M" record -q --force -o "$tmp/bg" -- build/progs/counter 1000000000 1000 >/dev/null 2>&1 &
bgp=$!
sleep 1
for i in 1 2 3; do p2+=("$(pp build/progs/pingpong "$PP_N" quiet)"); done
kill -TERM "$bgp"; wait "$bgp" 2>/dev/null || true
pp0=$(median3 "${p0[@]}"); pp1=$(median3 "${p1[@]}"); pp2=$(median3 "${p2[@]}")
pp3=$(median3 "${p3[@]}")
pp_acct=$(awk -v a="$pp1" -v b="$pp3" 'BEGIN { printf "%.0f", (a - b) / 2 }')
pp_proc=$(awk -v a="$pp3" -v b="$pp0" 'BEGIN { printf "%.0f", (a - b) / 2 }')
pp_other=$(awk -v a="$pp2" -v b="$pp0" 'BEGIN { printf "%.0f", (a - b) / 2 }')
# bpf_stats: run time per run of mp_switch and mp_wakeup (the hooks alone).
hook_ns() { # NAME: "run_time_ns run_cnt" of the program NAME
	bpftool -j prog show name "$1" 2>/dev/null |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let j=JSON.parse(s);j=Array.isArray(j)?j[0]:j;console.log((j.run_time_ns||0)+" "+(j.run_cnt||0))})'
}
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
rec -- build/progs/pingpong $((PP_N * 4)) >/dev/null &
ppr=$!
for ((i = 0; i < 100; i++)); do
	[ -n "$(bpftool prog show name mp_switch 2>/dev/null)" ] && break
	sleep 0.05
done
sleep 0.5
read -r sw_t0 sw_c0 <<<"$(hook_ns mp_switch)"; read -r wk_t0 wk_c0 <<<"$(hook_ns mp_wakeup)"
sleep 1
read -r sw_t1 sw_c1 <<<"$(hook_ns mp_switch)"; read -r wk_t1 wk_c1 <<<"$(hook_ns mp_wakeup)"
wait "$ppr" || true
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
sw_ns=$(awk -v t="$((sw_t1 - sw_t0))" -v c="$((sw_c1 - sw_c0))" 'BEGIN { printf "%.0f", c ? t / c : 0 }')
wk_ns=$(awk -v t="$((wk_t1 - wk_t0))" -v c="$((wk_c1 - wk_c0))" 'BEGIN { printf "%.0f", c ? t / c : 0 }')

rss_lim=$((64 + ring_mib))
rss_ratio=$(awk -v a="$rss_b" -v b="$rss_s" 'BEGIN { printf "%.2f", a / b }')
core_pct=$(awk -v a="$mm" 'BEGIN { printf "%.2f", a * 10000 / 1e9 * 100 }')
core_pct_u=$(awk -v a="$mu" 'BEGIN { printf "%.3f", a * 10000 / 1e9 * 100 }')
cat <<EOF2
| figure | measured | baseline (same run) | target |
|---|---|---|---|
| unattached probe site: extra instructions per site (callgrind) | $extra | same loop without probes | <= 3 |
| attached metric probe, ns/event (block medians: $mmb / $ffb = $ratio_b) | $mm | bare uprobe floor $ff ns | ratio $ratio (<= 1.2) |
| attached metric probe, MLPROBE_NOP5 site, ns/event (floor $ff5 ns) | $mm5 | default site $mm ns | ratio $nop5ratio (the default wins if > 1) |
| attached span pair, ns/pair (block medians: $ssb / 2 x $ffb = $sratio_b) | $ss | 2 floors $(awk -v b="$ff" 'BEGIN{print 2*b}') ns | ratio $sratio (<= 1.2) |
| record --batch: attached metric, ns/event, every event written (block medians: $mub / $ffb = $uratio_b) | $mu | bare uprobe floor $ff ns | ratio $uratio (<= 0.25) |
| record --batch: attached span pair, ns/pair, every span written (block medians: $sub / $ffb = $usratio_b) | $su | one floor $ff ns | ratio $usratio (<= 0.5) |
| bpftrace printing the same events (printf to a file), ns/event | $bt | mlprobe --batch $mu ns (per event: $mm ns, ratio $btratio) | ratio $btratio_u (>= 5) |
| consumer CPU s per million metric events | $cpu | | <= 0.25 |
| record --batch: consumer CPU ns per span (the runs above, each with a $BATCH_RING ring) | $ucpu_m | the trainer's ns per batched span pair: $su | published (above the trainer's: a burst outruns the consumer) |
| drops, record --batch, $N span pairs at full speed, default ${ring_mib} MiB ring | $bdr of $bhit (delivered $bdel) | | delivered + dropped == hits: $bexact |
| drops, 1 producer thread at full speed for ${SECS} s, default ${ring_mib} MiB ring | $dr1 of $em1 emitted (delivered $del1) | | 0 |
| drops, 2 producer threads at full speed for ${SECS} s | $dr2 of $em2 emitted (delivered $del2) | | delivered + dropped == emitted: $exact2 |
| bytes on disk per metric event (10 names, increasing steps, smooth float32 values; $N events) | $bpe | same in float64: $bpe64; examples/train: $bpe_train | <= 6 |
| consumer max RSS, MiB, after $SMALL / $BIG events (--batch) | $rss_s / $rss_b | | <= $rss_lim each (64 + ${ring_mib} MiB ring), the same for both: ratio $rss_ratio |
| probe -> row visible in a flushed file, ms (max of $LAT_K; median $lat_med) | $lat_max | flush interval $flush_ms ms | <= $((flush_ms + 100)) |
| where the time went: a context switch and a wakeup of a recorded thread, ns the accounting adds (pingpong, 2 of each a round trip, against the same recorded process's threads without state; the hooks alone, bpf_stats: mp_switch $sw_ns ns, mp_wakeup $wk_ns ns a run) | $pp_acct | not recorded: $(awk -v a="$pp0" 'BEGIN { printf "%.0f", a / 2 }') ns per switch and wakeup | published |
| ... ns a recorded process pays for it before any accounting (its threads without state: this was there before the accounting) | $pp_proc | the same | published |
| ... ns added for a thread of another process, while mlprobe records one | $pp_other | the same | published |
| bytes on disk per event, a slow trainer for an hour at -F 1 ($slow_flushes flushes of examples/train --sleep-us 2000 at -F 0.02; $slow_rows events, $slow_files files) | $slow_bpe | live bytes (the footers' own): $slow_lbpe per event | ratio $slow_ratio (<= 2) |

At 10 k metric events per second, mlprobe costs a trainer $core_pct% of one core ($mm ns/event), with --batch $core_pct_u% ($mu ns/event).
Machine: $machine.
EOF2
cat >build/bench.json <<EOF2
{"extra_instructions_per_site": $extra, "metric_ns": $mm, "floor_ns": $ff,
 "metric_over_floor": $ratio,
 "block_p50": {"metric_ns": $mmb, "floor_ns": $ffb, "span_pair_ns": $ssb, "metric_over_floor": $ratio_b, "span_over_2floors": $sratio_b},
 "nop5_metric_ns": $mm5, "nop5_floor_ns": $ff5, "nop5_over_default": $nop5ratio, "span_pair_ns": $ss, "span_over_2floors": $sratio,
 "batch": {"metric_ns": $mu, "span_pair_ns": $su, "metric_over_floor": $uratio, "span_pair_over_floor": $usratio, "block_p50": {"metric_ns": $mub, "span_pair_ns": $sub, "metric_over_floor": $uratio_b, "span_pair_over_floor": $usratio_b}, "bpftrace_over_batch": $btratio_u},
 "machine": "$machine",
 "bpftrace_ns": $bt, "bpftrace_over_mlprobe": $btratio, "bpftrace_saw_every_event": $([ -z "${bt_short:-}" ] && echo true || echo false),
 "consumer_cpu_s_per_million": $cpu, "bytes_per_metric_event": $bpe,
 "bytes_per_metric_event_f64": $bpe64, "bytes_per_metric_event_train": $bpe_train,
 "drops_1thread": {"seconds": $SECS, "emitted": $em1, "hits": $hit1, "delivered": $del1, "dropped": $dr1},
 "batch_span_burst_default_ring": {"pairs": $N, "hits": $bhit, "delivered": $bdel, "dropped": $bdr, "consumer_ns_per_span": $ucpu_m},
 "drops_2threads": {"seconds": $SECS, "emitted": $em2, "hits": $hit2, "delivered": $del2, "dropped": $dr2, "exact": $exact2},
 "rss_mib": {"events_small": $SMALL, "small": $rss_s, "events_big": $BIG, "big": $rss_b, "limit": $rss_lim, "big_over_small": $rss_ratio},
 "latency_ms": {"flush_interval_ms": $flush_ms, "samples": $LAT_K, "max": $lat_max, "median": $lat_med, "target": $((flush_ms + 100))},
 "slow_trainer_hour": {"seconds": $slow_secs, "flushes": $slow_flushes, "events": $slow_rows, "files": $slow_files, "bytes_on_disk": $slow_disk, "live_bytes": $slow_live, "bytes_per_event": $slow_bpe, "live_bytes_per_event": $slow_lbpe, "disk_over_live": $slow_ratio, "target": 2},
 "accounting": {"round_ns_unrecorded": $pp0, "round_ns_recorded": $pp1, "round_ns_other_recorded": $pp2, "round_ns_recorded_no_state": $pp3, "switch_wakeup_ns_accounting": $pp_acct, "switch_wakeup_ns_recorded_process": $pp_proc, "switch_wakeup_ns_added_other": $pp_other, "mp_switch_ns_per_run": $sw_ns, "mp_wakeup_ns_per_run": $wk_ns},
 "trainer_core_pct_at_10k_events_per_s": $core_pct}
EOF2

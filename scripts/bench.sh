#!/usr/bin/env bash
# bench.sh - `make bench`: mlprobe's costs, each next to its target and to a
# baseline measured in the same run (ratios, because these machines are
# noisy).  Prints a Markdown table; writes build/bench.json.
set -euo pipefail
cd "$(dirname "$0")/.."
M=build/mlprobe
B=build/progs/bench_loop
N=${BENCH_N:-2000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v valgrind >/dev/null || { apt-get install -y -qq valgrind >/dev/null; }

ns() { "$@" | sed -n 's/^ns_per_event //p'; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
rec() { "$M" record -q --force -o "$tmp/r" "$@"; }

# 1. Unattached: instructions per probe site (callgrind counts, exact).
ir() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$B" "$1" 100000 >/dev/null 2>&1
	callgrind_annotate "$tmp/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
ir_m=$(ir metric); ir_n=$(ir nop)
extra=$(awk -v a="$ir_m" -v b="$ir_n" 'BEGIN { printf "%.2f", (a - b) / 100000 }')

# 2. Attached metric probe vs the bare uprobe floor (same probe, empty prog).
m=(); f=(); s=()
for i in 1 2 3; do
	m+=("$(ns rec -- "$B" metric "$N")")
	f+=("$(ns rec --bench-floor -- "$B" metric "$N")")
	s+=("$(ns rec -- "$B" span "$N")")
done
mm=$(median3 "${m[@]}"); ff=$(median3 "${f[@]}"); ss=$(median3 "${s[@]}")
ratio=$(awk -v a="$mm" -v b="$ff" 'BEGIN { printf "%.2f", a / b }')
sratio=$(awk -v a="$ss" -v b="$ff" 'BEGIN { printf "%.2f", a / (2 * b) }')

# 3. Consumer CPU per million events, end to end.
rec -- "$B" metric "$N" >/dev/null
cpu=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log((j.consumer_cpu_s*1e6/j.tables.metrics.written).toFixed(3))' "$tmp/r/run.json")

# 4. Bytes on disk per metric event, for the example trainer.
rec -- build/examples/train --quiet >/dev/null
bpe=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));let b=0;for(const f of j.files)if(f.file.startsWith("metrics"))b+=f.bytes;console.log((b/j.tables.metrics.written).toFixed(2))' "$tmp/r/run.json")

cat <<EOF2
| figure | measured | baseline | target |
|---|---|---|---|
| unattached probe site: extra instructions per site (callgrind) | $extra | same loop without probes | <= 3 |
| attached metric probe, ns/event | $mm | bare uprobe floor $ff ns | ratio $ratio (<= 1.2) |
| attached span pair, ns/pair | $ss | 2 floors $(awk -v b="$ff" 'BEGIN{print 2*b}') ns | ratio $sratio (<= 1.2) |
| consumer CPU s per million metric events | $cpu | | <= 0.25 |
| bytes on disk per metric event (examples/train) | $bpe | | <= 6 |
EOF2
cat >build/bench.json <<EOF2
{"extra_instructions_per_site": $extra, "metric_ns": $mm, "floor_ns": $ff,
 "metric_over_floor": $ratio, "span_pair_ns": $ss, "span_over_2floors": $sratio,
 "consumer_cpu_s_per_million": $cpu, "bytes_per_metric_event": $bpe}
EOF2

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# test_header_bpftrace.sh - checks include/mlprobe.h against independent
# tools: readelf and objdump (binutils) read its notes and sites, bpftrace
# attaches to its probes and decodes their arguments.  If mlprobe's own
# reader and this script disagree, the header is what they disagree on.
#
# Builds nothing: run `make all` first.  MLPROBE_BUILD names the build
# folder (default build).  Needs root and bpftrace (scripts/deps.sh installs
# it); without them the checks fail rather than skip.
#
# Prints "ok - ..." or "not ok - ..." per check; exits 1 if any failed.
#
# no-sanitizer: runs no mlprobe binary (readelf, objdump and bpftrace check the header)

set -u
cd "$(dirname "$0")/../.."

B=${MLPROBE_BUILD:-build}
ABI=$B/progs/abi
TRAIN=$B/examples/train
CXX=${CXX:-g++}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   expected: $2" | head -c 2000
		echo "#   actual:   $3" | head -c 2000
	fi
}

for f in "$ABI" "$TRAIN"; do
	if [ ! -x "$f" ]; then
		not_ok "$f exists (run make all first)"
		exit 1
	fi
done

# --- the notes, read by readelf -------------------------------------------
# "provider name location semaphore args" per note.
notes() {
	readelf -nW "$1" | awk '
		/Provider:/ { p = $NF }	# -W: on the owner line
		/Name:/ { n = $2 }
		/Location:/ { loc = $2; sub(",", "", loc); sem = $6 }
		/Arguments:/ { sub(/^ *Arguments: */, ""); print p, n, loc, sem, $0 }'
}
notes "$ABI" > "$tmp/abi.notes"
check "readelf: abi has the 5 probes of provider mlprobe, and batch" \
	"batch log metric span_begin span_end step" \
	"$(awk '$1 == "mlprobe" { print $2 }' "$tmp/abi.notes" | sort | xargs)"

# Every argument is an 8-byte register; signed where the ABI says int64.
spec_shape() {
	awk '{ printf "%s:", $2; for (i = 5; i <= NF; i++) {
		a = $i; gsub(/%[a-z0-9]+$/, "REG", a); printf " %s", a }
		print "" }' "$1" | sort | paste -sd ';'
}
check "readelf: argument specs are 8-byte registers of the ABI" \
	"batch: 8@REG 8@REG 8@REG;log: -8@REG 8@REG;metric: 8@REG -8@REG 8@REG;span_begin: 8@REG;span_end: 8@REG;step: -8@REG" \
	"$(spec_shape "$tmp/abi.notes")"

# One semaphore for the five probes, inside the .probes section; the
# batch probe has its own there (record --batch raises it).
read -r probes_addr probes_size < <(readelf -SW "$ABI" |
	awk '$2 == ".probes" { print $4, $6 }')
in_probes() { [ -n "${probes_addr:-}" ] && (( $1 >= 0x$probes_addr && $1 < 0x$probes_addr + 0x$probes_size )); }
sems=$(awk '$2 != "batch" { print $4 }' "$tmp/abi.notes" | sort -u)
bsem=$(awk '$2 == "batch" { print $4 }' "$tmp/abi.notes" | sort -u)
if [ "$(echo "$sems" | wc -l)" == 1 ] && in_probes "$sems"; then
	ok "readelf: the five probes share one semaphore ($sems) in .probes"
else
	not_ok "readelf: the five probes share one semaphore in .probes"
	echo "#   semaphores: $(echo $sems), .probes at ${probes_addr:-none}"
fi
if [ "$(echo "$bsem" | wc -l)" == 1 ] && [ "$bsem" != "$sems" ] && in_probes "$bsem"; then
	ok "readelf: the batch probe has a semaphore of its own ($bsem) in .probes"
else
	not_ok "readelf: the batch probe has a semaphore of its own in .probes"
	echo "#   batch: $(echo $bsem), the others: $(echo $sems)"
fi

# --- the sites, read by objdump ----------------------------------------
# The default shape: a one-byte nop at each location.
bad=""
while read -r _ name loc _; do
	insn=$(objdump -d --start-address="$loc" \
		--stop-address=$(printf '0x%x' $((loc + 1))) "$ABI" |
		awk -F'\t' '/^ *[0-9a-f]+:/ { print $2 "|" $3 }' | head -1)
	# Expect "90 |nop": the byte, then the mnemonic.
	[[ "$insn" =~ ^90\ *\|nop ]] || bad="$bad $name@$loc(${insn:-none})"
done < "$tmp/abi.notes"
check "objdump: each of the 6 sites is a single-byte nop (0x90)" "" "$bad"
# Unattached, a site costs two instructions: the semaphore compared in
# memory, a branch not taken to the site.
check "objdump: the semaphore is compared in memory before each of the 5 probes' sites" 5 \
	"$(objdump -d "$ABI" | grep -cE "cmpw +\\\$0x0,0x[0-9a-f]+\(%rip\) +# $(printf '%x' $((sems))) ")"

# MLPROBE_NOP5 (x86-64): lea -128(%rsp); nop5; lea 128(%rsp) at each
# location, behind a compare of the semaphore in memory.
# site_insns BIN LOC: the instructions from 5 bytes before the site to 13
# after it, "|"-separated
site_insns() {
	objdump -d --start-address=$(printf '0x%x' $(($2 - 5))) \
		--stop-address=$(printf '0x%x' $(($2 + 13))) "$1" |
		awk -F'\t' '/^ *[0-9a-f]+:/ && $3 != "" { gsub(/ +/, " ", $3); printf "%s|", $3 }'
}
if cc -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -DMLPROBE_NOP5 \
	tests/progs/abi.c -o "$tmp/abi_nop5" 2> "$tmp/nop5.err"; then
	notes "$tmp/abi_nop5" > "$tmp/nop5.notes"
	bad=""
	while read -r _ name loc _; do
		insn=$(site_insns "$tmp/abi_nop5" "$loc")
		[ "$insn" = "lea -0x80(%rsp),%rsp|nopl 0x0(%rax,%rax,1)|lea 0x80(%rsp),%rsp|" ] ||
			bad="$bad $name@$loc(${insn:-none})"
	done < "$tmp/nop5.notes"
	check "objdump: with MLPROBE_NOP5 each of the $(wc -l < "$tmp/nop5.notes") sites is lea -128(%rsp); nop5; lea 128(%rsp)" "" "$bad"
	sem5=$(awk '$2 != "batch" { print $4 }' "$tmp/nop5.notes" | sort -u)
	check "objdump: with MLPROBE_NOP5 the semaphore is compared in memory before each of the 5 sites" 5 \
		"$(objdump -d "$tmp/abi_nop5" | grep -cE "cmpw +\\\$0x0,0x[0-9a-f]+\(%rip\) +# $(printf '%x' $((sem5))) ")"
	if "$CXX" -x c++ -std=c++11 -O2 -Wall -Wextra -Werror -Iinclude -DMLPROBE_NOP5 \
		tests/progs/abi.c -o "$tmp/abi_nop5_cxx" 2> "$tmp/nop5cxx.err"; then
		ok "c++11: abi.c builds warning-free as C++ with MLPROBE_NOP5"
	else
		not_ok "c++11: abi.c builds warning-free as C++ with MLPROBE_NOP5"
		sed 's/^/#   /' "$tmp/nop5cxx.err" | head -5
	fi
else
	not_ok "abi.c builds with -DMLPROBE_NOP5"
	sed 's/^/#   /' "$tmp/nop5.err" | head -5
fi

# --- C++: the header compiles as C++11 and keeps its 5 probes -------------
if command -v "$CXX" > /dev/null; then
	if "$CXX" -x c++ -std=c++11 -O2 -Wall -Wextra -Werror -Iinclude \
		tests/progs/abi.c -o "$tmp/abi_cxx" 2> "$tmp/cxx.err"; then
		check "c++11: abi.c builds warning-free as C++ with the 5 probes and batch" \
			"batch log metric span_begin span_end step" \
			"$(notes "$tmp/abi_cxx" | awk '$1 == "mlprobe" { print $2 }' |
				sort | xargs)"
	else
		not_ok "c++11: abi.c builds warning-free as C++"
		sed 's/^/#   /' "$tmp/cxx.err" | head -20
	fi
else
	not_ok "c++11: no $CXX to build abi.c as C++"
fi

# --- strict ISO C, hidden visibility, MLPROBE_NO_BATCH --------------------
cat > "$tmp/strict.c" <<'CEOF'
#include "mlprobe.h"
int main(int argc, char **argv)
{
	(void)argv;
	MLPROBE_STEP(argc);
	MLPROBE_METRIC("m", argc, 1.5);
	MLPROBE_SPAN_BEGIN("s");
	MLPROBE_SPAN_END("s");
	MLPROBE_LOG(MLPROBE_INFO, "x");
	return 0;
}
CEOF
for std in c99 c11; do
	if cc -std=$std -O2 -Wall -Wextra -Werror -Iinclude "$tmp/strict.c" -o "$tmp/strict_$std" 2> "$tmp/strict.err"; then
		ok "-std=$std (no feature macros): the header builds warning-free"
	else
		not_ok "-std=$std (no feature macros): the header builds warning-free"
		sed 's/^/#   /' "$tmp/strict.err" | head -5
	fi
done
# The batch buffer is one per process: a library built with
# -fvisibility=hidden still exports it, so every module shares it.
if cc -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Iinclude "$tmp/strict.c" -o "$tmp/hidden.so" 2>/dev/null; then
	check "-fvisibility=hidden: the library exports the batch buffer (mlprobe__tls_v1)" 1 \
		"$(nm -D --defined-only "$tmp/hidden.so" | grep -c ' mlprobe__tls_v1$')"
else
	not_ok "-fvisibility=hidden: the library builds"
fi
if cc -std=c11 -O2 -DMLPROBE_NO_BATCH -Iinclude "$tmp/strict.c" -o "$tmp/nobatch" 2>/dev/null; then
	check "MLPROBE_NO_BATCH: the five probes, no batch probe, no batch code" \
		"log metric span_begin span_end step 0" \
		"$(notes "$tmp/nobatch" | awk '$1 == "mlprobe" { print $2 }' | sort | xargs) $(nm "$tmp/nobatch" | grep -c mlprobe__)"
else
	not_ok "MLPROBE_NO_BATCH: the program builds"
fi

# --- bpftrace: attach and decode ------------------------------------------
if [ "$(id -u)" != 0 ] || ! command -v bpftrace > /dev/null; then
	not_ok "bpftrace checks need root and bpftrace (run scripts/deps.sh)"
	exit 1
fi

# Runs a bpftrace program against a command; keeps the lines it printed
# that start with "T " (the child's own output goes elsewhere).
trace() {	# trace OUTFILE PROGRAM CMD
	timeout 120 bpftrace -q -B none -e "$2" -c "$3" > "$1.raw" 2> "$1.err"
	local rc=$?
	grep '^T ' "$1.raw" | sed 's/^T //' > "$1"
	return $rc
}

P="usdt:$ABI:mlprobe"
prog="
$P:metric { printf(\"T metric %s %d 0x%lx\n\", str(arg0), arg1, arg2); }
$P:step { printf(\"T step %d\n\", arg0); }
$P:span_begin { printf(\"T span_begin %s\n\", str(arg0)); }
$P:span_end { printf(\"T span_end %s\n\", str(arg0)); }
$P:log { printf(\"T log %d %s\n\", arg0, str(arg1)); }
"
if trace "$tmp/abi.bt" "$prog" "$ABI"; then
	check "bpftrace: abi's probes fire with the exact arguments" \
		"metric m 7 0x3ff8000000000000|step 42|span_begin s|span_end s|log 2 hello" \
		"$(paste -sd '|' "$tmp/abi.bt")"
else
	not_ok "bpftrace runs against $ABI"
	sed 's/^/#   /' "$tmp/abi.bt.err" | head -20
fi

STEPS=100
P="usdt:$TRAIN:mlprobe"
prog="
$P:metric { @m[str(arg0)]++; }
$P:span_begin { @b[str(arg0)]++; }
$P:span_end { @e[str(arg0)]++; }
$P:step { @s++; @last = arg0; }
$P:log { printf(\"T log %d %s\n\", arg0, str(arg1, 18)); }
END {
	printf(\"T metric loss=%d accuracy=%d lr=%d grad_norm=%d\n\",
	       @m[\"loss\"], @m[\"accuracy\"], @m[\"lr\"], @m[\"grad_norm\"]);
	printf(\"T span_begin step=%d data=%d forward=%d backward=%d optimizer=%d\n\",
	       @b[\"step\"], @b[\"data\"], @b[\"forward\"], @b[\"backward\"],
	       @b[\"optimizer\"]);
	printf(\"T span_end step=%d data=%d forward=%d backward=%d optimizer=%d\n\",
	       @e[\"step\"], @e[\"data\"], @e[\"forward\"], @e[\"backward\"],
	       @e[\"optimizer\"]);
	printf(\"T step count=%d last=%d\n\", @s, @last);
	clear(@m); clear(@b); clear(@e); clear(@s); clear(@last);
}
"
n=$STEPS
if trace "$tmp/train.bt" "$prog" "$TRAIN --steps $STEPS --quiet"; then
	check "bpftrace: train logs start and finish at info level" \
		"log 1 training started|log 1 training finished" \
		"$(grep '^log' "$tmp/train.bt" | sed 's/:.*//' | paste -sd '|')"
	check "bpftrace: train fires each metric once per step (grad_norm: the semaphore is raised)" \
		"metric loss=$n accuracy=$n lr=$n grad_norm=$n" \
		"$(grep '^metric' "$tmp/train.bt")"
	check "bpftrace: train opens the 5 spans once per step" \
		"span_begin step=$n data=$n forward=$n backward=$n optimizer=$n" \
		"$(grep '^span_begin' "$tmp/train.bt")"
	check "bpftrace: train closes the 5 spans once per step" \
		"span_end step=$n data=$n forward=$n backward=$n optimizer=$n" \
		"$(grep '^span_end' "$tmp/train.bt")"
	check "bpftrace: train steps 1..$n" "step count=$n last=$n" \
		"$(grep '^step' "$tmp/train.bt")"
else
	not_ok "bpftrace runs against $TRAIN"
	sed 's/^/#   /' "$tmp/train.bt.err" | head -20
fi

[ "$fails" == 0 ]

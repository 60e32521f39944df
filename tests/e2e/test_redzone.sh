#!/usr/bin/env bash
# The opt-in x86-64 probe site (MLPROBE_NOP5) is red-zone safe.  Kernel
# 6.18 turns a uprobe on a five-byte nop into a call through a trampoline,
# and that call writes below %rsp: into the red zone, where a leaf function
# keeps live locals.  mlprobe.h's nop5 site steps 128 bytes down first (lea -128(%rsp),%rsp; nop5;
# lea 128(%rsp),%rsp).  tests/progs/redzone.c keeps 8 live red-zone words
# across the header's site and across a plain nop5 site (the control), 1000
# calls each, attached.  The header's site must lose none; the plain one
# must lose some, or the test could not see a clobber.
. "$(dirname "$0")/lib.sh"

RZ=$PROGS/redzone
N=1000

# The premise: both leaf functions keep their words below %rsp and never
# move %rsp themselves (no push, no sub): they use the red zone.
for f in leaf_safe leaf_plain; do
	body=$(objdump -d --no-show-raw-insn "$RZ" | awk -v f="<$f>:" '$2 == f { on = 1; next } on && /^$/ { exit } on')
	check "$f keeps its words in the red zone (stores at -N(%rsp), no push or sub)" \
		eval '[[ "$body" =~ mov\ +%[a-z0-9]+,-0x[0-9a-f]+\(%rsp ]] && ! [[ "$body" =~ push|sub\ +\$0x[0-9a-f]+,%rsp ]]'
done

expect_eq "unattached: no word lost" "$("$RZ" $N)" "safe_lost 0 plain_lost 0 trampoline 0"

out=$TMP/rz
"$MLPROBE" record -q -o "$out" -- "$RZ" $N >"$TMP/out" 2>"$TMP/err"
expect_eq "record -- redzone exits 0" "$?" 0
read -r _ safe _ plain _ tramp <"$TMP/out"
expect_eq "the kernel optimized the nop5 sites (uprobe trampoline mapped)" "$tramp" 1
expect_eq "the header's site: 0 red-zone words lost in $N attached calls" "$safe" 0
check "the control (plain nop5) lost words: the test sees a clobber ($plain lost)" \
	test "${plain:-0}" -gt 0
expect_eq "both sites fired every time, with their steps" \
	"$(duck1 "SELECT string_agg(name || ':' || n || ':' || s, ' ' ORDER BY name) FROM (SELECT name, count(*) n, sum(step) s FROM '$out/metrics-*.parquet' GROUP BY name)")" \
	"\"rz.plain:$N:$((N * (N - 1) / 2)) rz.safe:$N:$((N * (N - 1) / 2))\""
done_testing

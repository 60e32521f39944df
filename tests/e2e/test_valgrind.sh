#!/usr/bin/env bash
# The crash-repair path under valgrind (memcheck, leaks included): a real
# recording is killed with -9, its files are torn by hand (a cut inside the
# last footer, and inside a row group), then `recover`, `show` and `upload`
# run under valgrind.  (`record` itself cannot: valgrind 3.19 knows neither
# pidfd_open nor every bpf command; the sanitizer pass covers it.)
# no-sanitizer: valgrind and ASan do not run together; the plain pass runs
# recover, show and upload under memcheck (record runs under ASan elsewhere)
. "$(dirname "$0")/lib.sh"

VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
# A recording of --all or --children puts its uprobes (the loader's hook
# in ld.so among them) in every process that starts meanwhile, and an
# earlier test's `record` detaches them in the background after it exits.
# The kernel handles those breakpoints for a native process; valgrind
# reads the int3 as code and dies of SIGTRAP.  So no mlprobe of an earlier
# test may be left when valgrind starts (the suite runs tests one by one).
for ((i = 0; i < 600; i++)); do
	pgrep -x mlprobe >/dev/null || break
	sleep 0.1
done
check "no mlprobe of an earlier test still detaching" test "$i" -lt 600
# unfinished TABLE: the file of TABLE being written when record was killed,
# if it holds a row group (a footer alone is over 512 bytes): the newest one, not finished (a finished file
# waits in .spool or has been uploaded to dest).
unfinished() {
	local f
	f=$(ls "$TMP"/r/$1-*.parquet 2>/dev/null | tail -1)
	[ -n "$f" ] && [ "$(stat -c %s "$f")" -gt 512 ] || return 0	# 4: no flush yet
	[ -e "$TMP/r/.spool/$(basename "$f")" ] && return 0
	cmp -s "$f" "$TMP/dest/$(basename "$f")" && return 0
	echo "$f"
}
# The recording is frozen (SIGSTOP) before it is killed with -9, so its
# files hold still while the test looks: it kills only when the newest
# file of both tables is the one being written and holds a row group
# (just after a rotation it is empty; a moment later it is not), whatever
# the machine's speed.
mkdir -p "$TMP/dest"
"$MLPROBE" record -o "$TMP/r" -F 0.05 -s 16K --upload-cmd "cp {} '$TMP/dest/'" \
	-- "$PROGS/counter" 1000000 50 >"$TMP/c.out" 2>"$TMP/r.err" &
mpid=$!
wait_for "$TMP/r.err" "recording PID" 20
sleep 1.5
m= s=
for ((w = 0; w < 200; w++)); do
	kill -STOP "$mpid"
	m=$(unfinished metrics)
	s=$(unfinished spans)
	[ -n "$m" ] && [ -n "$s" ] && break
	kill -CONT "$mpid"
	sleep 0.02
done
echo "# killed after $w looks"
kill -9 "$mpid"
wait "$mpid" 2>/dev/null
kill "$(sed -n 's/^pid //p' "$TMP/c.out")"	# the trainer, orphaned
check "a metrics and a spans file were being written at the kill" test -n "$m" -a -n "$s"
check "finished files were uploaded before the kill" \
	test "$(ls "$TMP"/dest/metrics-*.parquet 2>/dev/null | wc -l)" -ge 1
# Tear them as a kill in a flush does: inside the footer, and inside a row
# group being appended (here the first half of the file's own first row
# group, pages and all, appended again and cut).  A crash tears only what
# is appended after the last complete state: a rewrite that drops the
# old footers replaces the file by rename (user/parquet/README.md, "Dead bytes").
truncate -s -9 "$m"
head -c $(( $(stat -c %s "$s") / 2 )) "$s" | tail -c +5 >"$TMP/torn"
cat "$TMP/torn" >>"$s"
"${VG[@]}" "$MLPROBE" recover "$TMP/r" >"$TMP/rec.out" 2>"$TMP/rec.err"
expect_eq "recover under valgrind: no error, no leak (exit 0)" "$?" 0
check "recover repaired the cut footer" grep -q "$(basename "$m") *\(rebuilt\|truncated\)" "$TMP/rec.out"
check "recover repaired the cut row group (emptied when it was the only one)" grep -q "$(basename "$s") *\(rebuilt\|truncated\|emptied\)" "$TMP/rec.out"
grep -i "==[0-9]*==" "$TMP/rec.err" | head -5 | sed 's/^/# /'
expect_eq "recovered files open in DuckDB" \
	"$(duck1 "SELECT count(*) > 0 FROM read_parquet('$TMP/r/*.parquet', union_by_name = true)")" true
# On a failure, what might have put a breakpoint in valgrind's process.
uprobes() {
	pgrep -a mlprobe | sed 's/^/# alive: /'
	bpftool link show 2>/dev/null | grep -A2 -i uprobe | sed 's/^/# link: /'
}
"${VG[@]}" "$MLPROBE" show "$TMP/r" --limit 3 >/dev/null 2>"$TMP/show.err"
rc=$?
expect_eq "show under valgrind: exit 0" "$rc" 0
[ "$rc" = 0 ] || { sed 's/^/# /' "$TMP/show.err" | head; uprobes; }
"${VG[@]}" "$MLPROBE" upload "$TMP/r" >/dev/null 2>"$TMP/up.err"
rc=$?
expect_eq "upload under valgrind: exit 0" "$rc" 0
[ "$rc" = 0 ] || { sed 's/^/# /' "$TMP/up.err" | head; uprobes; }
for f in "$TMP"/r/*.parquet; do
	cmp -s "$f" "$TMP/dest/$(basename "$f")" || not_ok "$(basename "$f") not uploaded"
done
ok "every file, the repaired ones too, uploaded"
done_testing

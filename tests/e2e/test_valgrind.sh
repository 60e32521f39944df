#!/usr/bin/env bash
# The crash-repair path under valgrind (memcheck, leaks included): a real
# recording is killed with -9, its files are torn by hand (a cut inside the
# last footer, and inside a row group), then `recover`, `show` and `upload`
# run under valgrind.  (`record` itself cannot: valgrind 3.19 knows neither
# pidfd_open nor every bpf command; the sanitizer pass covers it.)
. "$(dirname "$0")/lib.sh"

VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
mkdir -p "$TMP/dest"
"$MLPROBE" record -o "$TMP/r" -F 0.05 -s 16K --upload-cmd "cp {} '$TMP/dest/'" \
	-- "$PROGS/counter" 1000000 50 >"$TMP/c.out" 2>"$TMP/r.err" &
mpid=$!
wait_for "$TMP/r.err" "recording PID" 20
sleep 1.5
# Kill while the newest file of each table holds a row group: just after a
# rotation it is still empty, and the file torn below must be one that was
# not finished (and uploaded) yet.
newest() { ls "$TMP"/r/$1-*.parquet 2>/dev/null | tail -1; }
for ((w = 0; w < 250; w++)); do
	nm=$(newest metrics); ns=$(newest spans)
	[ -n "$nm" ] && [ -n "$ns" ] && [ "$(stat -c %s "$nm")" -ge 2048 ] &&
		[ "$(stat -c %s "$ns")" -ge 2048 ] && break
	sleep 0.02
done
kill -9 "$mpid"
wait "$mpid" 2>/dev/null
kill "$(sed -n 's/^pid //p' "$TMP/c.out")"	# the trainer, orphaned
# Tear the last file of two tables: inside the footer, and inside a row group.
# (The newest file of a table can still be empty when the kill lands just
# after a rotation: take the newest one that holds a row group and was not
# uploaded finished; recover only ever repairs the file being written.)
newest_with_rows() { # PATTERN: the newest file with rows not yet uploaded
	local f last=
	for f in $1; do
		[ "$(stat -c %s "$f")" -ge 2048 ] || continue
		cmp -s "$f" "$TMP/dest/$(basename "$f")" && continue
		last=$f
	done
	echo "$last"
}
m=$(newest_with_rows "$TMP/r/metrics-*.parquet")
s=$(newest_with_rows "$TMP/r/spans-*.parquet")
truncate -s -9 "$m"
truncate -s $(( $(stat -c %s "$s") / 2 )) "$s"
"${VG[@]}" "$MLPROBE" recover "$TMP/r" >"$TMP/rec.out" 2>"$TMP/rec.err"
expect_eq "recover under valgrind: no error, no leak (exit 0)" "$?" 0
check "recover repaired the cut footer" grep -q "$(basename "$m") *\(rebuilt\|truncated\)" "$TMP/rec.out"
check "recover repaired the cut row group" grep -q "$(basename "$s") *\(rebuilt\|truncated\)" "$TMP/rec.out"
grep -i "==[0-9]*==" "$TMP/rec.err" | head -5 | sed 's/^/# /'
expect_eq "recovered files open in DuckDB" \
	"$(duck1 "SELECT count(*) > 0 FROM read_parquet('$TMP/r/*.parquet', union_by_name = true)")" true
"${VG[@]}" "$MLPROBE" show "$TMP/r" --limit 3 >/dev/null 2>"$TMP/show.err"
expect_eq "show under valgrind: exit 0" "$?" 0
"${VG[@]}" "$MLPROBE" upload "$TMP/r" >/dev/null 2>"$TMP/up.err"
expect_eq "upload under valgrind: exit 0" "$?" 0
for f in "$TMP"/r/*.parquet; do
	cmp -s "$f" "$TMP/dest/$(basename "$f")" || not_ok "$(basename "$f") not uploaded"
done
ok "every file, the repaired ones too, uploaded"
done_testing

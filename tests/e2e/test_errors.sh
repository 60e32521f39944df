#!/usr/bin/env bash
# Bad input: one clear line on stderr and a non-zero exit, nothing corrupted.
. "$(dirname "$0")/lib.sh"

expect_fail "no such PID" "no process with PID 999999" \
	"$MLPROBE" record -o "$TMP/e1" -p 999999
expect_fail "binary without probes" "has no mlprobe probes" \
	"$MLPROBE" record -o "$TMP/e2" -- /bin/true
expect_fail "process without probes" "has no mlprobe probes" \
	"$MLPROBE" record -o "$TMP/e2b" -p $$
# A name is searched in PATH ("command not found"); a path is not.
expect_fail "a command name not in PATH" "nonexistent-train: command not found" \
	"$MLPROBE" record -o "$TMP/e3" -- nonexistent-train
expect_fail "a path that does not exist" "/nonexistent/train: No such file or directory" \
	"$MLPROBE" record -o "$TMP/e3" -- /nonexistent/train
expect_fail "a relative path that does not exist" "./nonexistent: No such file or directory" \
	"$MLPROBE" record -o "$TMP/e3" -- ./nonexistent
expect_eq "  ... exit 127, as from a shell" "$LAST_RC" 127
# The upload command is checked before anything starts, as --on-alert's is.
expect_fail "--upload-cmd that cannot run" \
	"--upload-cmd: /nonexistent/cmd: No such file or directory" \
	"$MLPROBE" record -o "$TMP/e3" --upload-cmd '/nonexistent/cmd {}' -- "$PROGS/counter" 1
expect_fail "--upload-cmd not in PATH" "--upload-cmd: nonexistent-up: command not found" \
	"$MLPROBE" record -o "$TMP/e3" --upload-cmd 'nonexistent-up {}' -- "$PROGS/counter" 1
expect_fail "--on-alert with a path that does not exist" \
	"--on-alert: /nonexistent/cmd: No such file or directory" \
	"$MLPROBE" record -o "$TMP/e3" --alert drops --on-alert /nonexistent/cmd -- "$PROGS/counter" 1
expect_fail "--alert-file given a directory" \
	"--alert-file /tmp: Is a directory" \
	"$MLPROBE" record -o "$TMP/e3" --alert-file /tmp -- "$PROGS/counter" 1
check "  ... nothing was created for them" test ! -e "$TMP/e3"
expect_fail "not root" "needs root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MLPROBE" record -o /tmp/x -- "$PROGS/counter" 1
mkdir -p "$TMP/ro"
mount -t tmpfs -o ro,size=1M none "$TMP/ro"
expect_fail "unwritable output dir" "not writable\|cannot create" \
	"$MLPROBE" record -o "$TMP/ro/run" -- "$PROGS/counter" 1
expect_fail "output dir is read-only (existing)" "not writable" \
	"$MLPROBE" record -o "$TMP/ro" -- "$PROGS/counter" 1
umount "$TMP/ro"

"$MLPROBE" record -q -o "$TMP/full" -- "$PROGS/counter" 10 >/dev/null 2>&1
sum1=$(md5sum "$TMP/full"/*.parquet | md5sum)
expect_fail "existing recording refused without --force" "not empty" \
	"$MLPROBE" record -o "$TMP/full" -- "$PROGS/counter" 10
expect_eq "refused recording left the old files untouched" "$(md5sum "$TMP/full"/*.parquet | md5sum)" "$sum1"
"$MLPROBE" record -q --force -o "$TMP/full" -- "$PROGS/counter" 20 >/dev/null 2>&1
expect_eq "--force replaces the recording" \
	"$(duck1 "SELECT count(*) FROM '$TMP/full/metrics-*.parquet'")" 20
mkdir -p "$TMP/foreign" && echo hi >"$TMP/foreign/notes.txt"
expect_fail "--force never deletes files mlprobe did not write" "did not write" \
	"$MLPROBE" record --force -o "$TMP/foreign" -- "$PROGS/counter" 1
check "foreign file kept" test -f "$TMP/foreign/notes.txt"
# Without --force, the same directory must not be sent to --force, which
# would refuse it.
expect_fail "a directory with files mlprobe did not write, without --force" \
	"holds files mlprobe did not write" \
	"$MLPROBE" record -o "$TMP/foreign" -- "$PROGS/counter" 1
check "  ... and --force is not suggested" not_grep -- --force "$TMP/err"

expect_fail "bad option value" "invalid ring size" \
	"$MLPROBE" record -o "$TMP/e4" --ring-size 1000 -- "$PROGS/counter" 1
expect_fail "no target" "either -p PID or" "$MLPROBE" record -o "$TMP/e5"
# Sizes that would wrap: strtoull takes "-1" as 2^64 - 1, and a K/M/G
# suffix can shift a number past 64 bits.
for v in -1 -4096 ' -5'; do
	expect_fail "-s '$v' is refused" "invalid file size '$v' (a size cannot be negative)" \
		"$MLPROBE" record -o "$TMP/e6" -s "$v" -- "$PROGS/counter" 1
done
for v in 18446744073709551615G 17179869184G 99999999999999999999; do
	expect_fail "-s $v is refused" "invalid file size '$v' (too large)" \
		"$MLPROBE" record -o "$TMP/e6" -s "$v" -- "$PROGS/counter" 1
done
expect_fail "--max-pending -1 is refused (it turned the memory bound off)" \
	"invalid --max-pending '-1' (a size cannot be negative)" \
	"$MLPROBE" record -o "$TMP/e6" --max-pending -1 -- "$PROGS/counter" 1
expect_fail "--spool-max -1 is refused" "invalid spool size '-1' (a size cannot be negative)" \
	"$MLPROBE" record -o "$TMP/e6" --upload-cmd 'true {}' --spool-max -1 -- "$PROGS/counter" 1
expect_fail "--ring-size -4096 is refused" "invalid ring size '-4096'" \
	"$MLPROBE" record -o "$TMP/e6" --ring-size -4096 -- "$PROGS/counter" 1
check "nothing was created for them" test ! -e "$TMP/e6"

# Every command's --help: one usage (argp's "Usage:", no second
# "USAGE:"), no bug address line, nothing over 79 columns, examples whole
# (a long one continued with a backslash, never wrapped mid-command), and
# the exit status of bad arguments, which is 2 in every command.
for c in record list show recover upload compare export report explain top; do
	"$MLPROBE" $c --help >"$TMP/help" 2>&1
	bad=
	[ "$(grep -c '^Usage: mlprobe '$c "$TMP/help")" = 1 ] || bad="$bad usage"
	! grep -q 'USAGE:' "$TMP/help" || bad="$bad USAGE:"
	! grep -q 'Report bugs' "$TMP/help" || bad="$bad report-bugs"
	[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$TMP/help")" -le 79 ] || bad="$bad width"
	tr '\n' ' ' <"$TMP/help" | grep -q '2 for bad arguments' || bad="$bad exit-status"
	awk '/^EXAMPLES:/ { ex = 1; next } ex && /^$/ { exit }
	     ex && !/^  mlprobe / && !(cont && /^      /) { bad = 1 }
	     ex { cont = /\\$/ } END { exit bad }' "$TMP/help" || bad="$bad example-wrapped"
	expect_eq "$c --help:$bad" "$bad" ""
	"$MLPROBE" $c --no-such-option >/dev/null 2>&1
	expect_eq "$c: an unknown option exits 2" "$?" 2
done
expect_fail "an unknown command: one line" "unknown command 'nosuch'" "$MLPROBE" nosuch
expect_eq "  ... exit 2" "$LAST_RC" 2
expect_fail "export: csv of a directory needs --table" "csv holds one table" \
	"$MLPROBE" export --format csv "$TMP/full"
expect_eq "  ... exit 2, as bad arguments" "$LAST_RC" 2

# show on bad files
head -c 100 "$TMP/full/metrics-0000.parquet" >"$TMP/trunc.parquet"
expect_fail "show: truncated file" "trunc.parquet" "$MLPROBE" show "$TMP/trunc.parquet"
echo "not parquet at all" >"$TMP/text.parquet"
expect_fail "show: not a Parquet file" "text.parquet" "$MLPROBE" show "$TMP/text.parquet"
expect_fail "show: missing path" "No such file" "$MLPROBE" show "$TMP/nope"
mkdir -p "$TMP/emptydir"
expect_fail "show: directory without a recording" "no .*Parquet files" "$MLPROBE" show "$TMP/emptydir"
done_testing

#!/usr/bin/env bash
# A disk that fills up in the middle of a recording, on a tmpfs made here:
# the error is reported once per table, recording goes on in memory, and
# when space returns every row is written; files finished before are never
# touched; the trainer's output is unchanged.  An outage longer than the
# memory bound drops rows, counts every one, and keeps memory bounded.
. "$(dirname "$0")/lib.sh"

jq_() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(eval("j."+process.argv[2]))' "$1" "$2"; }
fs=$TMP/fs
mkdir -p "$fs"
mount -t tmpfs -o size=4M none "$fs" || { not_ok "cannot mount a tmpfs"; done_testing; }
trap 'umount "$fs" 2>/dev/null; rm -rf "$TMP"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
fill() { dd if=/dev/zero of="$fs/filler" bs=16K 2>/dev/null; sync; }
# finished FILE...: the files that a later file of the same table follows
finished() {
	local f t
	for f in "$@"; do
		t=${f%-*}
		[ "$(ls "$t"-*.parquet | tail -1)" != "$f" ] && echo "$f"
	done
}

# --- phase A: a 2 s outage, nothing lost ---
steps=120000
want=$("$PROGS/counter" $steps 20 | tail -1)	# the trainer's own output, unrecorded
"$MLPROBE" record -o "$fs/a" -F 0.1 -s 32K -- "$PROGS/counter" $steps 20 >"$TMP/a.out" 2>"$TMP/a.err" &
mpid=$!
for ((i = 0; i < 200; i++)); do [ -e "$fs/a/metrics-0001.parquet" ] && break; sleep 0.05; done
check "phase A: files were finished before the disk filled" test -e "$fs/a/metrics-0001.parquet"
fill
# shellcheck disable=SC2046
sha256sum $(finished "$fs"/a/*.parquet) >"$TMP/before.sha" 2>/dev/null
sleep 2
n=$(grep -c "cannot write .*No space left" "$TMP/a.err")
check "phase A: the full disk is reported ($n lines, at most one per table)" test "$n" -ge 1 -a "$n" -le 3
rm -f "$fs/filler"
wait "$mpid"
rc=$?
expect_eq "phase A: record exits 0 (every row written after all)" "$rc" 0
check "phase A: resumption is reported" grep -q "writing .* again after the error" "$TMP/a.err"
expect_eq "phase A: not one more error line after the first per table" \
	"$(grep -c "cannot write" "$TMP/a.err")" "$n"
expect_eq "phase A: the books balance" "$(jq_ "$fs/a/run.json" accounting_ok)" true
expect_eq "phase A: nothing lost to the disk" "$(jq_ "$fs/a/run.json" tables.metrics.lost_io)" 0
expect_eq "phase A: every step is on disk, once" \
	"$(duck1 "SELECT count(*) = $steps AND count(DISTINCT step) = $steps FROM '$fs/a/metrics-*.parquet'")" true
check "phase A: files finished before the outage are byte for byte the same" \
	sha256sum --quiet -c "$TMP/before.sha"
check "phase A: $(wc -l <"$TMP/before.sha") finished files were compared" test -s "$TMP/before.sha"
expect_eq "phase A: the trainer's output is unchanged" "$(tail -1 "$TMP/a.out")" "$want"

# --- phase B: an outage longer than the memory bound (--max-pending 512K a
# table: the default 32 MiB of compressed pages holds more than this
# trainer emits, and more than the 4 MiB disk takes).  The trainer stays 2 s
# after its last step, so space comes back before the recording ends.
# --batch: per event, where a trap costs 5 us (pti=on), its 2 M steps took
# 50 s, and what it wrote after space came back filled the disk again ---
rm -rf "$fs/a"
steps=2000000
"$MLPROBE" record --batch -o "$fs/b" -F 0.1 --max-pending 512K -- "$PROGS/counter" $steps 0 2000 >"$TMP/b.out" 2>"$TMP/b.err" &
mpid=$!
wait_for "$TMP/b.err" "recording PID" 20
sleep 0.3
fill
hwm=0
for ((i = 0; i < 600; i++)); do	# until the trainer is done, at most 60 s
	h=$(awk '/^VmHWM/ { print $2 }' /proc/$mpid/status 2>/dev/null) || break
	[ -n "$h" ] && hwm=$h
	grep -q "^done" "$TMP/b.out" && break
	sleep 0.1
done
rm -f "$fs/filler"
wait "$mpid"
rc=$?
check "phase B: record finished by itself (rc $rc)" test "$rc" -eq 0 -o "$rc" -eq 1
lost=$(jq_ "$fs/b/run.json" tables.metrics.lost_io)
check "phase B: rows past the bound were dropped and counted ($lost)" test "${lost:-0}" -gt 0
expect_eq "phase B: written + lost == emitted" \
	"$(( $(duck1 "SELECT count(*) FROM '$fs/b/metrics-*.parquet'") + lost + $(jq_ "$fs/b/run.json" tables.metrics.lost_kernel) ))" \
	"$(jq_ "$fs/b/run.json" tables.metrics.hits)"
expect_eq "phase B: the books balance" "$(jq_ "$fs/b/run.json" accounting_ok)" true
# 3 tables x 512 KiB of rows + a 16 MiB ring (32 MiB resident: the kernel
# maps its pages twice) + the rest; ASan's redzones and quarantine (up to
# 256 MiB) come on top in a sanitizer build.
limit=100
nm -D "$MLPROBE" 2>/dev/null | grep -q __asan_init && limit=600
check "phase B: consumer memory stayed bounded (peak $((hwm / 1024)) MiB < $limit)" test "$hwm" -gt 0 -a "$hwm" -lt $((limit * 1024))
check "phase B: the trainer finished its $steps steps" grep -q "^done" "$TMP/b.out"
umount "$fs"
done_testing

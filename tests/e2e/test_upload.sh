#!/usr/bin/env bash
# The upload spool: a flaky remote (fails N times, then works) loses
# nothing; a remote that hangs never holds up Ctrl-C (2 s, with a full ring
# too) and a second Ctrl-C aborts at once, leaving valid files; `mlprobe
# upload DIR` sends what was left; --spool-max bounds what waits.
. "$(dirname "$0")/lib.sh"

# flaky STATE N DEST FILE: fails N times in all, then copies FILE to DEST.
cat >"$TMP/flaky" <<'EOF'
#!/bin/sh
n=$(cat "$1" 2>/dev/null || echo 0)
if [ "$n" -lt "$2" ]; then echo $((n + 1)) >"$1"; echo "remote down ($n)" >&2; exit 1; fi
cp "$4" "$3/"
EOF
# hang FILE: a remote that never answers
printf '#!/bin/sh\nexec sleep 1000\n' >"$TMP/hang"
chmod +x "$TMP/flaky" "$TMP/hang"
pending() { find "$1/.spool" -maxdepth 1 -type f ! -name command ! -name log ! -name upload.log | wc -l; }
# same_files DIR DEST: every file of the recording arrived, byte for byte
same_files() {
	local f
	for f in "$1"/*.parquet "$1"/run.json; do
		cmp -s "$f" "$2/$(basename "$f")" || { echo "# $(basename "$f") differs or is missing"; return 1; }
	done
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- a flaky remote: 3 failures, then every file arrives exactly once ---
mkdir -p "$TMP/dest1"
"$MLPROBE" record -o "$TMP/u1" -s 64K \
	--upload-cmd "$TMP/flaky $TMP/state1 3 '$TMP/dest1' {}" \
	-- "$PROGS/counter" 60000 20 >/dev/null 2>"$TMP/u1.err"
expect_eq "flaky remote: record exits 0" "$?" 0
n=$(ls "$TMP"/u1/*.parquet | wc -l)
check "flaky remote: several files were finished ($n)" test "$n" -ge 4
check "flaky remote: every file and run.json uploaded, identical" same_files "$TMP/u1" "$TMP/dest1"
expect_eq "flaky remote: nothing left in the spool" "$(pending "$TMP/u1")" 0
expect_eq "flaky remote: the command failed 3 times" "$(cat "$TMP/state1")" 3
expect_eq "flaky remote: the failure reported once, not per retry" \
	"$(grep -c 'upload of .* failed' "$TMP/u1.err")" 1
check "flaky remote: recovery reported" grep -q 'uploads work again' "$TMP/u1.err"
check "flaky remote: summary counts the failed attempts" \
	grep -q 'upload: .* files sent, 3 failed attempts, 0 waiting' "$TMP/u1.err"
expect_eq "flaky remote: each file logged as uploaded once" \
	"$(sort "$TMP/u1/.spool/log" | uniq -d | wc -l)" 0
expect_eq "flaky remote: books balance" \
	"$(grep -c '"accounting_ok": true' "$TMP/u1/run.json")" 1

# --- a hung remote and a full ring: Ctrl-C ends after the 1 s grace, not
# the upload's 10 min timeout (the hung command sleeps 1000 s); 10 s leaves
# a busy machine room to finish the files ---
"$PROGS/counter" 1000000000 0 >"$TMP/c2.out" &
cpid=$!
wait_for "$TMP/c2.out" '^step 1000' 20 || not_ok "counter did not start"
"$MLPROBE" record -o "$TMP/u2" -p "$cpid" -s 16K -r 4K -F 0.1 \
	--upload-cmd "$TMP/hang {}" >/dev/null 2>"$TMP/u2.err" &
mpid=$!
# Until a file is finished and its upload hangs (the ring, 4K, is full
# all along: the trainer writes as fast as it can).
for ((i = 0; i < 200; i++)); do
	[ "$(pending "$TMP/u2")" -ge 1 ] 2>/dev/null && [ -n "$(pgrep -f "sleep 1000")" ] && break
	sleep 0.1
done
check "hung remote: files were finished and queued ($(pending "$TMP/u2"))" test "$(pending "$TMP/u2")" -ge 1
check "hung remote: an upload hangs at Ctrl-C" test -n "$(pgrep -f "sleep 1000")"
t0=$(ms)
kill -INT "$mpid"
wait "$mpid"
rc=$?
t=$(( $(ms) - t0 ))
expect_eq "hung remote: record exits 0 after Ctrl-C" "$rc" 0
check "hung remote, full ring: Ctrl-C to exit took ${t} ms (< 10000)" test "$t" -lt 10000
dropped=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(j.tables.metrics.lost_kernel)' "$TMP/u2/run.json")
check "hung remote, full ring: the ring really was full ($dropped dropped)" test "${dropped:-0}" -gt 0
check "hung remote: the books balance" grep -q '"accounting_ok": true' "$TMP/u2/run.json"
check "hung remote: the trainer runs on" kill -0 "$cpid"
check "hung remote: no upload process left behind" test -z "$(pgrep -f "sleep 1000")"
n=$(pending "$TMP/u2")
check "hung remote: the files wait in the spool ($n)" test "$n" -ge 2
check "hung remote: one line tells how to resume" grep -q "'mlprobe upload $TMP/u2' resumes" "$TMP/u2.err"
expect_eq "hung remote: every file opens in DuckDB" \
	"$(duck1 "SELECT count(*) > 0 FROM read_parquet('$TMP/u2/*.parquet', union_by_name = true)")" true

# --- mlprobe upload DIR resumes, with a new command ---
mkdir -p "$TMP/dest2"
"$MLPROBE" upload "$TMP/u2" --upload-cmd "cp {} '$TMP/dest2/'" 2>"$TMP/up.err"
expect_eq "upload DIR: exits 0" "$?" 0
expect_eq "upload DIR: spool empty" "$(pending "$TMP/u2")" 0
check "upload DIR: every file arrived, identical" same_files "$TMP/u2" "$TMP/dest2"
"$MLPROBE" upload "$TMP/u2" 2>"$TMP/up2.err"
expect_eq "upload DIR again: nothing to do, exits 0" "$?" 0

# --- a second Ctrl-C aborts at once and leaves valid files ---
"$MLPROBE" record -o "$TMP/u3" -p "$cpid" -s 16K -F 0.1 \
	--upload-cmd "$TMP/hang {}" >/dev/null 2>"$TMP/u3.err" &
mpid=$!
for ((i = 0; i < 200; i++)); do	# recording, and an upload hangs
	[ "$(pending "$TMP/u3")" -ge 1 ] 2>/dev/null && break
	sleep 0.1
done
kill -INT "$mpid"
# The second comes while record waits for the hung upload (1 s grace, once
# the files are final and the summary printed), and later than 250 ms
# after the first: sooner, it is a copy of the same request (engine.h).
wait_for "$TMP/u3.err" "recorded" 10
sleep 0.3
t0=$(ms)
kill -INT "$mpid"
wait "$mpid"
rc=$?
t=$(( $(ms) - t0 ))
# Exit 130 and "aborted" are what only the abort does; without it, record
# would wait out the grace and exit 0.
expect_eq "second Ctrl-C: exit status 130 (after ${t} ms)" "$rc" 130
[ "$rc" = 130 ] || sed 's/^/# /' "$TMP/u3.err"
check "second Ctrl-C: says which signal from whom, and what is on disk" \
	grep -q "aborted by SIGINT from PID $BASHPID while stopping: the files in" "$TMP/u3.err"
expect_eq "second Ctrl-C: every file opens in DuckDB" \
	"$(duck1 "SELECT count(*) > 0 FROM read_parquet('$TMP/u3/*.parquet', union_by_name = true)")" true
check "second Ctrl-C: the trainer runs on" kill -0 "$cpid"
kill "$cpid"
wait "$cpid" 2>/dev/null

# --- a dead remote and --spool-max: the oldest files are left out ---
"$MLPROBE" record -o "$TMP/u4" -s 16K --upload-cmd "false {}" --spool-max 64K \
	-- "$PROGS/counter" 40000 20 >/dev/null 2>"$TMP/u4.err"
expect_eq "dead remote: record still exits 0 (books balance)" "$?" 0
bytes=$(find "$TMP/u4/.spool" -maxdepth 1 -type f ! -name command ! -name log ! -name upload.log -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
check "dead remote: what waits stays within --spool-max ($bytes bytes)" test "$bytes" -le $((64 * 1024 + 16 * 1024 + 4096))
n=$(grep -c 'is left out, not uploaded' "$TMP/u4.err")
check "dead remote: each file left out is reported ($n)" test "$n" -ge 1
expect_eq "dead remote: and logged" "$(grep -c '^gave-up ' "$TMP/u4/.spool/log")" "$n"
for f in $(sed -n 's/^gave-up //p' "$TMP/u4/.spool/log"); do
	check "dead remote: $f left out but still in the recording" test -s "$TMP/u4/$f"
done
"$MLPROBE" record -q --force -o "$TMP/u4" -- "$PROGS/counter" 10 >/dev/null 2>"$TMP/u4f.err"
check "--force refuses while files wait for upload" test $? -ne 0
check "... and says so" grep -q "not uploaded yet" "$TMP/u4f.err"

# --- the command is exec'd without a shell ---
mkdir -p "$TMP/dest5"
"$MLPROBE" record -q -o "$TMP/u5" --upload-cmd "cp {} '$TMP/dest5/;touch $TMP/pwned'" \
	-- "$PROGS/counter" 100 >/dev/null 2>&1
check "no shell: ';' in an argument runs nothing" test ! -e "$TMP/pwned"
"$MLPROBE" record -q -o "$TMP/u6" --upload-cmd "cp 'unterminated {}" -- "$PROGS/counter" 10 >/dev/null 2>"$TMP/u6.err"
check "a bad upload command: refused" test $? -ne 0
expect_eq "... with one line" "$(grep -c 'unterminated' "$TMP/u6.err")" 1

# --- the command gets stdin (/dev/null), stdout and stderr, no other fd ---
"$MLPROBE" record -q -o "$TMP/u7" --upload-cmd "ls -l /proc/self/fd/ {}" \
	-- "$PROGS/counter" 100 >/dev/null 2>"$TMP/u7.err"
expect_eq "fds: record exits 0" "$?" 0
check "fds: the command listed its descriptors" grep -q ' 0 -> /dev/null$' "$TMP/u7/.spool/upload.log"
expect_eq "fds: no descriptor of mlprobe's leaks into the upload command" \
	"$(leaked_fds "$TMP/u7/.spool/upload.log" | tr '\n' ' ')" ""

# --- --partition: rank=0 and rank=1 hold files of the same names; each file
# is uploaded exactly once, under its path in the recording ---
cat >"$TMP/keep" <<'EOF'
#!/bin/sh
# keep DEST FILE: copies FILE to DEST under its path below .spool/
rel=${2#*/.spool/}
echo "$rel" >>"$1.calls"
mkdir -p "$1/$(dirname "$rel")" && cp "$2" "$1/$rel"
EOF
chmod +x "$TMP/keep"
# two_ranks ID SECONDS SIGNAL UPLOAD-CMD: ranks 0 and 1 of run ID recorded
# with --all --partition into $TMP/ID for SECONDS, then SIGNAL to mlprobe;
# its exit status in rc, the host folder in H
two_ranks() {
	local id=$1 r mpid pids=()
	for r in 0 1; do
		env RANK=$r MLPROBE_RUN_ID=$id "$PROGS/counter" 100000000 200 >"$TMP/$id.$r.out" &
		pids+=($!)
		wait_for "$TMP/$id.$r.out" '^pid' 10
	done
	"$MLPROBE" record -o "$TMP/$id" --partition --all "$PROGS/counter" -s 16K -F 0.2 \
		--upload-cmd "$4" 2>"$TMP/$id.err" &
	mpid=$!
	wait_for "$TMP/$id.err" 'recording every process' 20 || not_ok "record --all did not start"
	sleep "$2"
	kill -"$3" "$mpid"
	wait "$mpid" 2>/dev/null
	rc=$?
	kill "${pids[@]}"
	wait "${pids[@]}" 2>/dev/null
	H=$TMP/$id/run=$id/host=$(hostname | tr -c 'A-Za-z0-9._\n-' _)
}
mkdir -p "$TMP/dest8"
two_ranks u8 3 INT "$TMP/keep $TMP/dest8 {}"
expect_eq "partition: record exits 0" "$rc" 0
H8=$H
(cd "$H8" && find . -path ./.spool -prune -o -type f -print | sed 's|^\./||' | sort) >"$TMP/u8.files"
check "partition: rank=0 and rank=1 both have metrics-0000.parquet" \
	test -f "$H8/rank=0/metrics-0000.parquet" -a -f "$H8/rank=1/metrics-0000.parquet"
n=$(grep -c '^rank=[01]/metrics-' "$TMP/u8.files")
check "partition: several metrics files per rank ($n)" test "$n" -ge 4
expect_eq "partition: the command ran once per file, for every file" \
	"$(sort "$TMP/dest8.calls" | tr '\n' ' ')" "$(tr '\n' ' ' <"$TMP/u8.files")"
bad=$(while read -r f; do cmp -s "$H8/$f" "$TMP/dest8/$f" || echo "$f"; done <"$TMP/u8.files")
expect_eq "partition: every file arrived identical, under its rank folder" "$bad" ""
expect_eq "partition: nothing left in the spool" \
	"$(find "$H8/.spool" -type f ! -name command ! -name log ! -name upload.log | wc -l)" 0
expect_eq "partition: .spool/log says uploaded once per file" \
	"$(sed -n 's/^uploaded //p' "$H8/.spool/log" | sort | tr '\n' ' ')" "$(tr '\n' ' ' <"$TMP/u8.files")"

# --- ... after a crash: recover queues the rank folders' unfinished files,
# and `upload DIR` sends every file once ---
mkdir -p "$TMP/dest9"
two_ranks u9 2 KILL "false {}"
H9=$H
"$MLPROBE" recover "$TMP/u9" >/dev/null 2>"$TMP/u9r.err"
expect_eq "crash, partition: recover exits 0" "$?" 0
check "crash, partition: recover queued the files being written" \
	grep -q 'files queued for upload' "$TMP/u9r.err"
"$MLPROBE" upload "$H9" --upload-cmd "$TMP/keep $TMP/dest9 {}" 2>"$TMP/u9u.err"
expect_eq "crash, partition: upload DIR exits 0" "$?" 0
(cd "$H9" && find . -path ./.spool -prune -o -type f -print | sed 's|^\./||' | sort) >"$TMP/u9.files"
check "crash, partition: both ranks have files" grep -q '^rank=1/metrics-0000' "$TMP/u9.files"
expect_eq "crash, partition: every file uploaded exactly once" \
	"$(sort "$TMP/dest9.calls" | tr '\n' ' ')" "$(tr '\n' ' ' <"$TMP/u9.files")"
expect_eq "crash, partition: nothing waits, no rank folder is left in the spool" \
	"$(find "$H9/.spool" -mindepth 1 ! -name command ! -name log ! -name upload.log)" ""
done_testing

#!/usr/bin/env bash
# mlprobe top in a real terminal: tmux runs it detached at 80x24, the test
# reads the screen with capture-pane and types with send-keys.  The view
# shows the trainer's metrics, spans and alerts, fits the terminal, keeps
# to at most 10 frames a second, says so when the target exits, and q
# quits (leaving a running trainer untouched).  Bad input gets one line.
. "$(dirname "$0")/lib.sh"

T=$PROGS/trainer
S=mlprobe-test-$$	# our own tmux server
trap 'tmux -L "$S" kill-server 2>/dev/null; rm -rf "$TMP"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
screen() { tmux -L "$S" capture-pane -p -t top; }
# start_top ARGS...: top in a detached 80x24 session; its exit status goes
# to $TMP/rc, its stderr to $TMP/top.err
start_top() {
	rm -f "$TMP/rc"
	tmux -L "$S" new-session -d -x 80 -y 24 -s top \
		"env LANG=C.UTF-8 $MLPROBE top -v $* 2>$TMP/top.err; echo \$? >$TMP/rc; sleep 60"
}
wait_screen() { # PATTERN SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_rc() { local i; for ((i = 0; i < 50; i++)); do [ -s "$TMP/rc" ] && return 0; sleep 0.1; done; return 1; }

# --- a trainer of 300 steps of 20 ms, NaN loss at step 100 ---
mkfifo "$TMP/go"
"$T" 300 20000 nan 100 gate <"$TMP/go" >"$TMP/tr.out" &
exec 7>"$TMP/go"
wait_for "$TMP/tr.out" '^pid' 10
tp=$(awk '/^pid/ { print $2 }' "$TMP/tr.out")
start_top -p "$tp" --alert "'nan(loss)'"
check "top starts and shows its title" wait_screen "mlprobe top  PID $tp (trainer)" 20
echo go >&7	# the trainer's steps begin only now that top is attached
exec 7>&-
check "the metrics appear" wait_screen '^ grad_norm ' 10
sleep 1.5
screen >"$TMP/s1"
check "header: METRIC LAST MIN MAX STEP RATE/s RECENT" \
	grep -Eq '^ METRIC +LAST +MIN +MAX +STEP +RATE/s RECENT' "$TMP/s1"
check "a loss row with a value and a sparkline" grep -Eq '^ loss +[0-9.]+ .*[▁▂▃▄▅▆▇█]{6}' "$TMP/s1"
check "grad_norm is 1 throughout" grep -Eq '^ grad_norm +1 +1 +1 ' "$TMP/s1"
check "the span header" grep -Eq '^ SPAN +COUNT +P50 +P99 +TIME%' "$TMP/s1"
check "backward: count, p50 and p99 in ms" grep -Eq '^ backward +[0-9]+ +1[0-9.]+ms +[0-9.]+ms +[0-9.]+%' "$TMP/s1"
check "forward: count, p50 and p99 in ms" grep -Eq '^ forward +[0-9]+ +[5-9][0-9.]*ms +[0-9.]+ms +[0-9.]+%' "$TMP/s1"
check "events per second and drops in the title" grep -Eq 'ev/s  drops 0' "$TMP/s1"
check "q: quit in the status line" grep -q '^ q: quit' "$TMP/s1"
expect_eq "the screen is 24 lines" "$(wc -l <"$TMP/s1")" 24
check "no line is wider than 80 columns" test "$(LC_ALL=C.UTF-8 wc -L <"$TMP/s1")" -le 80
echo "# $(sed -n 1p "$TMP/s1")"
sed -n '2,9p' "$TMP/s1" | sed 's/^/# /'

# --- the target exits: the last state stays, with a message ---
check "the trainer finishes" wait_for "$TMP/tr.out" '^done' 30
check "top says the target exited" wait_screen "PID $tp exited: this is its final state. q: quit" 10
screen >"$TMP/s2"
check "final loss is 1000/300 = 3.3333, after 300 steps (step 299)" \
	grep -Eq '^ loss +3\.3333 +3\.3333 +1000 +299 ' "$TMP/s2"
check "both spans counted 300 times" test "$(grep -Ec '^ (forward|backward) +300 ' "$TMP/s2")" = 2
check "the NaN alert is shown, with its step" grep -q 'ALERT \[nan(loss)\] loss = nan at step 100' "$TMP/s2"
tmux -L "$S" send-keys -t top q
check "q quits" wait_rc
expect_eq "top exits 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
frames=$(sed -n 's/.*top: \([0-9]*\) frames in \([0-9.]*\) s.*/\1 \2/p' "$TMP/top.err")
echo "# refresh: $frames (frames, seconds)"
check "at most 10 frames a second, plus the first and the exit message ($frames)" \
	node -e 'const [f, s] = process.argv[1].split(" ").map(Number); process.exit(f <= 10 * s + 2 && f >= 4 * s ? 0 : 1)' "$frames"
tmux -L "$S" kill-server 2>/dev/null

# --- q while the trainer runs: top detaches, the trainer goes on clean ---
"$T" 100000 10000 >"$TMP/tr2.out" &
wait_for "$TMP/tr2.out" '^pid' 10
tp2=$(awk '/^pid/ { print $2 }' "$TMP/tr2.out")
start_top -p "$tp2"
check "top shows the second trainer" wait_screen '^ loss ' 20
tmux -L "$S" send-keys -t top q
check "q quits at once" wait_rc
expect_eq "top exits 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
check "it says the trainer keeps running" grep -q "detached from PID $tp2; it keeps running" "$TMP/top.err"
check "the trainer is still running" kill -0 "$tp2"
check "no breakpoint and semaphore 0 left in the trainer" clean_within "$tp2" "$T" 15
tmux -L "$S" kill-server 2>/dev/null

# --- bad input: one line each ---
expect_fail "no -p: one line" 'give the process to watch: -p PID' "$MLPROBE" top
expect_fail "not a terminal: one line" 'top needs a terminal' "$MLPROBE" top -p "$tp2"
expect_fail "a process without probes: one line" 'has no mlprobe probes' "$MLPROBE" top -p $$
expect_fail "a PID that does not exist: one line" 'no process with PID 999999999' "$MLPROBE" top -p 999999999
"$MLPROBE" top -p "$tp2" --alert 'loss 5' 2>"$TMP/rule.err"
expect_eq "a broken rule: exit 2" "$?" 2
expect_eq "a broken rule: its position" "$(head -1 "$TMP/rule.err")" \
	"mlprobe: --alert: bad alert rule at column 6: expected a comparison (>, >=, <, <=, ==, !=)"
kill "$tp2"

done_testing

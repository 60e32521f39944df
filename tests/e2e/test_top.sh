#!/usr/bin/env bash
# mlprobe top in a real terminal: tmux runs it detached at 80x24, the test
# reads the screen with capture-pane and types with send-keys.  The view
# shows the trainer's metrics, spans and alerts, fits the terminal, keeps
# to at most 10 frames a second, says so when the target exits, and q
# quits (leaving a running trainer untouched).  The same view in
# `record --live` (with Prometheus and alerts on, -p and launch mode): q
# ends the recording with every row on disk and the books balanced, and the
# summary prints after the view.  `top -- CMD` starts and owns a command.
# Bad input gets one line.
. "$(dirname "$0")/lib.sh"

T=$PROGS/trainer
S=mlprobe-test-$$	# our own tmux server
trap 'tmux -L "$S" kill-server 2>/dev/null; rm -rf "$TMP"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
screen() { tmux -L "$S" capture-pane -p -t top; }
# start_view CMDLINE: a shell command line in a detached 80x24 session; its
# exit status goes to $TMP/rc
start_view() {
	local i
	rm -f "$TMP/rc"
	# A server just killed (stop_tmux) may still hold its socket on a
	# busy machine: try again rather than run the test without a view.
	for ((i = 0; i < 20; i++)); do
		tmux -L "$S" new-session -d -x 80 -y 24 -s top \
			"env LANG=C.UTF-8 $1; echo \$? >$TMP/rc; sleep 60" 2>"$TMP/tmux.err" &&
			tmux -L "$S" has-session -t top 2>/dev/null && return 0
		sleep 0.2
	done
	echo "# tmux: $(cat "$TMP/tmux.err")"
	return 1
}
# start_top ARGS...: top, its stderr in $TMP/top.err
start_top() { start_view "$MLPROBE top -v $* 2>$TMP/top.err"; }
wait_screen() { # PATTERN SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# stop_tmux: end the session and wait until its server is gone
stop_tmux() {
	local i
	tmux -L "$S" kill-server 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		tmux -L "$S" ls >/dev/null 2>&1 || return 0
		sleep 0.1
	done
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
check "the span header, with where the time went" \
	grep -Eq '^ SPAN +COUNT +P50 +P99 +TIME% +CPU +RUNQ +IO +WAIT$' "$TMP/s1"
check "backward sleeps: its time is blocked (WAIT 90% or more), not on CPU" \
	grep -Eq '^ backward +[0-9]+ .*% +[0-9]% +[0-9]+% +[0-9]+% +(9[0-9]|100)%$' "$TMP/s1"
check "the step is a span too, with its split" \
	grep -Eq '^ mlprobe.step +[0-9]+ .*% +[0-9]+% +[0-9]+% +[0-9]+% +[0-9]+%$' "$TMP/s1"
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
# keys other than q while it waits do not draw frames beyond the limit
for i in 1 2 3 4 5; do tmux -L "$S" send-keys -t top "$(printf 'x%.0s' {1..100})"; sleep 0.1; done
tmux -L "$S" send-keys -t top q
check "q quits" wait_rc
expect_eq "top exits 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
frames=$(sed -n 's/.*top: \([0-9]*\) frames in \([0-9.]*\) s.*/\1 \2/p' "$TMP/top.err")
echo "# refresh: $frames (frames, seconds)"
check "at most 10 frames a second, plus the first and the exit message ($frames)" \
	node -e 'const [f, s] = process.argv[1].split(" ").map(Number); process.exit(f <= 10 * s + 2 && f >= 4 * s ? 0 : 1)' "$frames"
stop_tmux

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
stop_tmux

# --- the view switches only the character set: in a locale with a decimal
# comma (de_DE), run.json and the Prometheus text keep their points ---
mkdir -p "$TMP/loc"
if localedef -i de_DE -f UTF-8 "$TMP/loc/de_DE.UTF-8" 2>/dev/null ||
   [ -d "$TMP/loc/de_DE.UTF-8" ]; then
	PORT=$(free_port)
	start_view "env LOCPATH=$TMP/loc LC_ALL=de_DE.UTF-8 $MLPROBE record -o $TMP/de --live --prometheus 127.0.0.1:$PORT -- $T 100000 10000 2>$TMP/de.err"
	check "de_DE: record --live shows the spans" wait_screen '^ backward  *[0-9][0-9]* ' 20
	curl -sf "http://127.0.0.1:$PORT/metrics" >"$TMP/de.prom"
	check "de_DE: Prometheus values with a decimal point" \
		grep -Eq '^mlprobe_span_seconds_sum\{name="backward".*\} [0-9]+\.[0-9]+$' "$TMP/de.prom"
	expect_eq "de_DE: no value with a decimal comma" "$(grep -Ec '\} [-0-9.e+]*,' "$TMP/de.prom")" 0
	tmux -L "$S" send-keys -t top q
	check "de_DE: q ends the recording" wait_rc
	check "de_DE: run.json is valid JSON, its CPU time a number" \
		jsq "$TMP/de/run.json" 'if (typeof d.consumer_cpu_s !== "number") process.exit(1)'
	stop_tmux
else
	not_ok "de_DE: localedef cannot build the locale (scripts/deps.sh installs locales)"
fi

# --- record --live -p, with Prometheus and an alert: q ends the recording ---
PORT=$(free_port)
mkfifo "$TMP/go3"
"$T" 100000 10000 nan 100 gate <"$TMP/go3" >"$TMP/tr3.out" &
exec 7>"$TMP/go3"
wait_for "$TMP/tr3.out" '^pid' 10
tp3=$(awk '/^pid/ { print $2 }' "$TMP/tr3.out")
start_view "$MLPROBE record -o $TMP/live -p $tp3 --live --prometheus 127.0.0.1:$PORT --alert 'nan(loss)' 2>$TMP/rec.err"
check "record --live shows the view" wait_screen "mlprobe record  PID $tp3 (trainer)" 20
check "its status line: what q does, where it records" \
	wait_screen "q: stop recording (the process keeps running)  to /tmp/" 5
echo go >&7
exec 7>&-
check "record --live: the metrics appear" wait_screen '^ loss ' 10
check "record --live: the spans appear" wait_screen '^ backward  *[0-9][0-9]* ' 10
check "the alert shows in the view" wait_screen 'ALERT \[nan(loss)\] loss = nan at step 100' 10
check "Prometheus serves the same state meanwhile" \
	eval "curl -sf http://127.0.0.1:$PORT/metrics | grep -q '^mlprobe_metric{name=\"loss\",rank=\"-1\"'"
screen >"$TMP/s3"
check "record --live: no line wider than 80 columns" test "$(LC_ALL=C.UTF-8 wc -L <"$TMP/s3")" -le 80
tmux -L "$S" send-keys -t top q
check "q ends record --live" wait_rc
expect_eq "record --live exits 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
check "the summary is printed at the end" grep -q "recorded .* to $TMP/live" "$TMP/rec.err"
check "the alert went to the view, not to stderr" eval '! grep -q "ALERT" "$TMP/rec.err"'
check "the summary counts the alert" grep -q 'alerts: 1 fired, in alerts-0000.parquet' "$TMP/rec.err"
check "run.json: the books balance" grep -q '"accounting_ok": true' "$TMP/live/run.json"
M="'$TMP/live/metrics-*.parquet'"
expect_eq "DuckDB reads every metric row that run.json counts" \
	"$(duck1 "SELECT count(*) FROM $M")" "$(jsq "$TMP/live/run.json" 'd.tables.metrics.written')"
expect_eq "... which is every one the probes emitted" \
	"$(jsq "$TMP/live/run.json" 'd.tables.metrics.written')" "$(jsq "$TMP/live/run.json" 'd.tables.metrics.hits')"
expect_eq "the loss steps have no gap" \
	"$(duck1 "SELECT max(step) - min(step) + 1 = count(DISTINCT step) FROM $M WHERE name = 'loss'")" true
expect_eq "DuckDB: the alert's row (step 100)" \
	"$(duck1 "SELECT step FROM '$TMP/live/alerts-*.parquet'")" 100
check "the trainer keeps running" kill -0 "$tp3"
check "no breakpoint and semaphore 0 left in it" clean_within "$tp3" "$T" 15
check "the port is closed" eval "! busy $PORT"
kill "$tp3"
stop_tmux

# --- record --live -- CMD: the target exits, the view says so, the files
# are final before q; stderr on the terminal prints after the view ---
start_view "$MLPROBE record -o $TMP/l2 --live --alert 'nan(loss)' -- $T 200 10000 nan 50"
check "record --live -- CMD shows the command" wait_screen "mlprobe record  PID [0-9]* (trainer)" 20
check "its status line says where the command's output goes" \
	wait_screen "q: stop PID [0-9]* (SIGTERM)  output: $TMP/l2/command.log" 5
check "the view says the command exited, and that the files are final" \
	wait_screen "PID [0-9]* exited with status 0; the recording is final. q: quit" 30
screen >"$TMP/s4"
check "the final loss: 1000/200 = 5 at step 199" grep -Eq '^ loss +5 +5 +1000 +199 ' "$TMP/s4"
check "the command's output did not scribble on the view" eval '! grep -Eq "^(pid|last loss|done)" "$TMP/s4"'
expect_eq "before q, DuckDB reads all 400 metric rows" \
	"$(duck1 "SELECT count(*) FROM '$TMP/l2/metrics-*.parquet'")" 400
check "before q, run.json is final and balanced" grep -q '"accounting_ok": true' "$TMP/l2/run.json"
tmux -L "$S" send-keys -t top q
check "q quits" wait_rc
expect_eq "record --live -- CMD exits with the command's status (0)" "$(cat "$TMP/rc" 2>/dev/null)" 0
screen >"$TMP/s5"
check "after the view, the summary is on the terminal" grep -q "mlprobe: recorded .* to $TMP/l2" "$TMP/s5"
check "... with the alert count and the command's output file" \
	eval "grep -q 'alerts: 1 fired' '$TMP/s5' && grep -q 'command output: $TMP/l2/command.log' '$TMP/s5'"
check "... and no leftover of the view" eval '! grep -q "q: quit" "$TMP/s5"'
check "the command's output is in command.log" \
	eval "grep -q '^last loss 5$' '$TMP/l2/command.log' && grep -q '^done' '$TMP/l2/command.log'"
expect_eq "run.json names command.log and the exit code" \
	"$(jsq "$TMP/l2/run.json" 'd.command_log + " " + d.exit_code')" "command.log 0"
stop_tmux

# --- record --live -- CMD, q while it runs: SIGTERM, recorded to its end ---
start_view "$MLPROBE record -o $TMP/l3 --live -- $T 100000 10000 2>$TMP/l3.err"
check "record --live: the second command's metrics appear" wait_screen '^ loss ' 20
sleep 0.5
tmux -L "$S" send-keys -t top q
check "q stops the command and the recording" wait_rc
expect_eq "a stop on request exits 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
expect_eq "run.json: the command ended by SIGTERM" "$(jsq "$TMP/l3/run.json" 'd.exit_signal')" 15
check "run.json: the books balance" grep -q '"accounting_ok": true' "$TMP/l3/run.json"
expect_eq "every step from 0 to the last has its loss row (DuckDB)" \
	"$(duck1 "SELECT min(step) = 0 AND max(step) + 1 = count(*) FROM '$TMP/l3/metrics-*.parquet' WHERE name = 'loss'")" true
lp=$(awk '/^pid/ { print $2 }' "$TMP/l3/command.log")
check "the command (PID $lp) is gone, reaped" eval "test -n '$lp' && ! kill -0 '$lp' 2>/dev/null"
stop_tmux

# --- top -- CMD: starts the command, says when it exits; q ---
start_top --cmd-log "$TMP/cmd.log" -- "$T" 150 10000
check "top -- CMD shows the command" wait_screen "mlprobe top  PID [0-9]* (trainer)" 20
check "its status line names the output file" wait_screen "q: stop it (SIGTERM)  output: $TMP/cmd.log" 5
check "top -- CMD says the command exited, with its status" \
	wait_screen "PID [0-9]* exited with status 0: this is its final state. q: quit" 30
check "the final loss after 150 steps" grep -Eq '^ loss +6\.6667 +6\.6667 +1000 +149 ' <(screen)
tmux -L "$S" send-keys -t top q
check "q quits" wait_rc
expect_eq "top -- CMD exits with the command's status (0)" "$(cat "$TMP/rc" 2>/dev/null)" 0
check "top says the command exited, with its status" grep -q "(PID [0-9]*) exited with status 0$" "$TMP/top.err"
check "... and where its output went" grep -q "^  its output: $TMP/cmd.log$" "$TMP/top.err"
check "the command's output is in the file" grep -q '^done' "$TMP/cmd.log"
check "no file of a recording in the working directory" test ! -e run.json
stop_tmux

start_top -- "$T" 5 0 bogus
check "a command that fails: the view gives its status" \
	wait_screen "PID [0-9]* exited with status 2: this is its final state" 20
tmux -L "$S" send-keys -t top q
wait_rc
expect_eq "top -- CMD exits with the command's status (2)" "$(cat "$TMP/rc" 2>/dev/null)" 2
log=$(sed -n 's/^  its output: //p' "$TMP/top.err")
check "the default output file is a new one in \$TMPDIR ($log)" \
	eval "[[ '$log' == /tmp/mlprobe-top-*.log ]] && grep -q 'bad argument' '$log'"
rm -f "$log"
stop_tmux

# q while the command runs: top owns it, so it is stopped and reaped
start_top --cmd-log "$TMP/cmd2.log" -- "$T" 100000 10000
check "top -- CMD: the metrics appear" wait_screen '^ loss ' 20 ||
	{ sed 's/^/# top: /' "$TMP/top.err"; screen | sed 's/^/# screen: /'; }
cpid=$(awk '/^pid/ { print $2 }' "$TMP/cmd2.log")
tmux -L "$S" send-keys -t top q
check "q stops the command and quits" wait_rc
expect_eq "a stop on request exits 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
check "top says the command was stopped by SIGTERM" \
	grep -q "(PID $cpid) was killed by SIGTERM" "$TMP/top.err"
check "the command is gone (reaped, no zombie)" eval "! kill -0 $cpid 2>/dev/null"
stop_tmux

# --- bad input: one line each ---
expect_fail "no -p: one line" 'give the process to watch: -p PID' "$MLPROBE" top
expect_fail "not a terminal: one line" 'top needs a terminal' "$MLPROBE" top -p "$tp2"
check "... within 80 columns" test "$(wc -L <"$TMP/err")" -le 80
expect_fail "a process without probes: one line" 'has no mlprobe probes' "$MLPROBE" top -p $$
expect_fail "a PID that does not exist: one line" 'no process with PID 999999999' "$MLPROBE" top -p 999999999
"$MLPROBE" top -p "$tp2" --alert 'loss 5' 2>"$TMP/rule.err"
expect_eq "a broken rule: exit 2" "$?" 2
expect_eq "a broken rule: its position" "$(head -1 "$TMP/rule.err")" \
	"mlprobe: --alert: bad alert rule at column 6: expected a comparison (>, >=, <, <=, ==, !=)"
expect_fail "record --live without a terminal: one line" '--live needs a terminal' \
	"$MLPROBE" record -o "$TMP/nottY" --live -p "$tp2"
check "... and no recording left behind" test ! -e "$TMP/nottY"
expect_fail "top -- CMD without a terminal: one line" 'top needs a terminal' "$MLPROBE" top -- "$T" 5 0
check "... within 80 columns" test "$(wc -L <"$TMP/err")" -le 80
expect_fail "top -- a command that does not exist: one line" 'no-such-cmd-xyz: command not found' \
	"$MLPROBE" top -- no-such-cmd-xyz
expect_eq "... exit 127" "$LAST_RC" 127
expect_fail "top -- a command without probes: one line" 'has no mlprobe probes' "$MLPROBE" top -- /bin/true
expect_fail "top with both -p and a command: one line" 'either -p PID or -- CMD' \
	"$MLPROBE" top -p "$tp2" -- "$T" 5 0
expect_fail "--cmd-log without a command: one line" '--cmd-log goes with -- CMD' \
	"$MLPROBE" top --cmd-log "$TMP/x.log" -p "$tp2"
# An unwritable --cmd-log is refused before anything attaches or runs (not
# when the command is let go, after the view), in a terminal or not.
expect_fail "--cmd-log in a folder that does not exist: one line" \
	"--cmd-log: cannot write $TMP/nope/x.log: No such file or directory" \
	"$MLPROBE" top --cmd-log "$TMP/nope/x.log" -- "$T" 5 0
expect_fail "--cmd-log that is a folder: one line" "--cmd-log: cannot write $TMP: Is a directory" \
	"$MLPROBE" top --cmd-log "$TMP" -- "$T" 5 0
start_top --cmd-log "$TMP/nope/y.log" -- "$T" 100001 10000
check "... in a terminal too: top ends at once" wait_rc
expect_eq "... exit 1" "$(cat "$TMP/rc" 2>/dev/null)" 1
expect_eq "... with the one line" "$(cat "$TMP/top.err")" \
	"mlprobe: --cmd-log: cannot write $TMP/nope/y.log: No such file or directory"
check "... and the command never ran" eval "! pgrep -f '^$T 100001 10000\$' >/dev/null"
stop_tmux
kill "$tp2"

done_testing

#!/usr/bin/env bash
# Names and messages with control bytes (ESC sequences, CR, LF, TAB, the
# other C0 bytes, DEL, the C1 control U+009B; and a name the probe cut) reach the terminal escaped,
# never raw, in every view of text: show's table, compare's table and
# Markdown, top; each row stays one line of at most 80 columns, and a cut
# never falls inside an escape.  CSV and JSON lines keep the bytes as
# their formats quote them (checked elsewhere).
. "$(dirname "$0")/lib.sh"

S=mlprobe-test-$$	# our own tmux server
trap 'tmux -L "$S" kill-server 2>/dev/null; rm -rf "$TMP"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT

# raw FILE: the control bytes in FILE other than the line ends, if any
raw() { LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1" | head -3; }
# wide FILE: lines wider than 80 columns
wide() { LC_ALL=C.UTF-8 awk 'length($0) > 80' "$1" | head -3; }

d=$TMP/c
"$MLPROBE" record -q -o "$d" -- "$PROGS/ctrlnames" 40 200 >/dev/null
expect_eq "record exits 0" "$?" 0

"$MLPROBE" show "$d" --limit 0 >"$TMP/show" 2>&1
expect_eq "show: no control byte reaches the terminal" "$(raw "$TMP/show")" ""
expect_eq "show: no line wider than 80 columns" "$(wide "$TMP/show")" ""
# 240 metric rows, 240 spans and 39 steps (mlprobe.step: every step but
# the last), 4 logs, and per table a title, a header and a count, with a
# blank line between tables: any raw newline adds lines
expect_eq "show: one line per row" "$(wc -l <"$TMP/show")" $((240 + 240 + 39 + 4 + 3 * 3 + 2))
check "show: the escape sequence is shown escaped" grep -q 'esc\\x1b\[2J' "$TMP/show"
check "show: CR, LF shown as \\r, \\n" grep -q 'cr\\rlf\\ntab' "$TMP/show"
check "show: the C1 control shown as \\u009b" grep -q 'csi\\u009b' "$TMP/show"
check "show: a message with an escape, CR and LF, cut with …" \
	grep -q 'warn  \\x1b\[31mred\\x1b\[0m\\rover\\nnex…' "$TMP/show"

"$MLPROBE" compare "$d" "$d" >"$TMP/cmp" 2>&1
expect_eq "compare: no control byte reaches the terminal" "$(raw "$TMP/cmp")" ""
expect_eq "compare: no line wider than 80 columns" "$(wide "$TMP/cmp")" ""
expect_eq "compare: a row per span name" \
	"$(grep -cE '^(plain|esc|cr|c0|csi|long)' "$TMP/cmp")" 6
check "compare: a cut name ends in … within its 11 columns" \
	grep -qE '^esc\\x1b\[2J… +40 +40 ' "$TMP/cmp"

"$MLPROBE" compare -f md --metric plain "$d" "$d" >"$TMP/md" 2>&1
expect_eq "compare -f md: no control byte" "$(raw "$TMP/md")" ""
# a header, its rule, 6 spans, mlprobe.step, the metric
expect_eq "compare -f md: every table row starts and ends with |" \
	"$(grep -c '^|' "$TMP/md") $(grep '^|' "$TMP/md" | grep -vc '|$')" "10 0"
check "compare -f md: the name whole, escaped" \
	grep -qF '| `cr\rlf\ntab\tend` |' "$TMP/md"

# top, in an 80x24 tmux terminal: every row on its own line, the title
# intact (an ESC ]0; sequence would set the terminal's title, ESC [2J
# clear the screen).
tmux -L "$S" new-session -d -x 80 -y 24 -s top \
	"env LANG=C.UTF-8 $MLPROBE top -- $PROGS/ctrlnames 3000 2000 2>$TMP/top.err; sleep 60"
for ((i = 0; i < 100; i++)); do
	tmux -L "$S" capture-pane -p -t top >"$TMP/screen"
	grep -q '^ plain ' "$TMP/screen" && grep -q '^ log ' "$TMP/screen" && break
	sleep 0.1
done
sleep 0.5
tmux -L "$S" capture-pane -p -t top >"$TMP/screen"
check "top: the title line" grep -q '^ mlprobe top ' "$TMP/screen"
expect_eq "top: a metric row per name" \
	"$(grep -cE '^ (plain|esc\\x1b|cr\\rlf|c0\\x01|csi\\u009b|longxxx)' "$TMP/screen")" 12
check "top: the log line, escaped" grep -q '^ log warn: \\x1b\[31mred' "$TMP/screen"
check "top: no line wider than 80 columns" test "$(LC_ALL=C.UTF-8 wc -L <"$TMP/screen")" -le 80
expect_eq "top: the pane title was not set" \
	"$(tmux -L "$S" display-message -p -t top '#{pane_title}' | grep -c owned)" 0
tmux -L "$S" send-keys -t top q
tmux -L "$S" kill-server 2>/dev/null

done_testing

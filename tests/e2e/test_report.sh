#!/usr/bin/env bash
# mlprobe report: a self-contained page whose SVG charts render in headless
# Chromium (driven by chromedriver) with no console message, no resource
# loaded and no script; with a baseline it holds the compare table.
. "$(dirname "$0")/lib.sh"

check_page() { # HTML JSON: run the checker (tests/e2e/report_check.mjs)
	node "$ROOT/tests/e2e/report_check.mjs" "$1" "${1%.html}.png" >"$2" 2>"$TMP/check.err" ||
		{ not_ok "chromium check of $1 ran: $(tail -3 "$TMP/check.err")"; echo '{"charts":[]}' >"$2"; }
}
charts_ok() { # JSON N: N charts, each drawn, each with shapes and ink
	jsq "$1" "d.charts.length === $2 && d.charts.every(c => c.w > 100 && c.h > 50 && c.shapes > 0 && c.share > 0.02 && c.colors >= 3) || JSON.stringify(d.charts)"
}

"$MLPROBE" record -q -o "$TMP/base" -- "$PROGS/phases" -t 1 200 >/dev/null 2>&1
"$MLPROBE" record -q -o "$TMP/slow" -- "$PROGS/phases" -t 1 200 data 10 >/dev/null 2>&1
"$MLPROBE" record -q -o "$TMP/train" -- "$ROOT/build/examples/train" --quiet --steps 400 >/dev/null 2>&1
"$MLPROBE" record -q -o "$TMP/strings" -- "$PROGS/strings" >/dev/null 2>&1

page=$TMP/pr.html
"$MLPROBE" report "$TMP/slow" --baseline "$TMP/base" --steps 10:11 -o "$page" 2>"$TMP/err"
expect_eq "report --baseline exits 0" "$?" 0
check "no message on stderr" test ! -s "$TMP/err"
check "no temp file left" test -z "$(ls "$TMP" | grep '\.tmp\.')"
check "nothing to fetch: no src, href, url() or script" \
	test -z "$(grep -Eio '<script|src=|href=|url\(|@import' "$page")"
check "a Content-Security-Policy forbids loading anything" grep -q "default-src 'none'" "$page"
check "the compare table flags data as slower" \
	grep -Eq '<tr><td class="l">data</td>.*<td class="l slower">slower</td></tr>' "$page"
timeline=$(sed -n '/<svg class="chart" id="timeline"/,/<\/svg>/p' "$page")
expect_eq "timeline of steps 10:11: the 8 phase spans of those steps" \
	"$(echo "$timeline" | grep -Eo '<title>(data|forward|backward|optimizer): [^<]*' | grep -Ec ', step 1[01], ')" 8
expect_eq "timeline: no phase span of another step" \
	"$(echo "$timeline" | grep -Eo '<title>(data|forward|backward|optimizer): [^<]*' | grep -Evc ', step 1[01], ')" 0
expect_eq "timeline: two threads" "$(echo "$timeline" | grep -c 'class="lane"')" 2

check_page "$page" "$TMP/pr.json"
expect_eq "chromium: no console error or warning" "$(jsq "$TMP/pr.json" 'd.console.length')" 0
expect_eq "chromium: no resource loaded, no script" "$(jsq "$TMP/pr.json" 'd.resources.length + d.scripts')" 0
# 6 span names (data forward backward optimizer prefetch decode) and
# mlprobe.step + the steps of the main thread + loss + timeline
expect_eq "chromium: 10 charts, each drawn and non-empty" "$(charts_ok "$TMP/pr.json" 10)" true
expect_eq "chromium: the baseline is overlaid (two series per histogram)" \
	"$(grep -c '<path class="h1"' "$page")" 7
mkdir -p "$ROOT/build/test-logs"
cp "$TMP/pr.png" "$ROOT/build/test-logs/report-screenshot.png" 2>/dev/null
check "a screenshot of the page was taken" test -s "$TMP/pr.png"

"$MLPROBE" report "$TMP/train" -o "$TMP/train.html"
expect_eq "report of the example trainer exits 0" "$?" 0
check_page "$TMP/train.html" "$TMP/train.json"
expect_eq "trainer: no console message" "$(jsq "$TMP/train.json" 'd.console.length')" 0
# 5 span names and mlprobe.step + its steps + 4 metrics + timeline
expect_eq "trainer: 12 charts, each drawn and non-empty" "$(charts_ok "$TMP/train.json" 12)" true
check "trainer: the logs are listed" grep -q 'training started: mlp' "$TMP/train.html"
check "trainer: no compare table without a baseline" test -z "$(grep 'id="compare"' "$TMP/train.html")"

"$MLPROBE" report "$TMP/strings" -o "$TMP/strings.html"
expect_eq "report of odd names (UTF-8, NaN, infinities) exits 0" "$?" 0
check_page "$TMP/strings.html" "$TMP/strings.json"
expect_eq "odd names: no console message" "$(jsq "$TMP/strings.json" 'd.console.length')" 0
check "odd names: UTF-8 kept" grep -q '损失/λ' "$TMP/strings.html"

# Where each step's time went: a stacked bar per step of slowsteps (whose
# steps are slow for known reasons), drawn, with a part per cause.
"$MLPROBE" record -q -o "$TMP/slowsteps" -- "$PROGS/slowsteps" 20 "$TMP" >/dev/null 2>&1
"$MLPROBE" report "$TMP/slowsteps" -o "$TMP/steps.html" 2>"$TMP/err"
expect_eq "report of slowsteps exits 0" "$?" 0
check_page "$TMP/steps.html" "$TMP/steps.json"
expect_eq "steps: no console message" "$(jsq "$TMP/steps.json" 'd.console.length')" 0
expect_eq "steps: the chart of the main thread's steps is there, drawn and non-empty" \
	"$(jsq "$TMP/steps.json" 'const c = d.charts.filter(c => c.id === "steps-0"); c.length === 1 && c[0].w > 1000 && c[0].h > 200 && c[0].shapes >= 5 && c[0].share > 0.02 && c[0].colors >= 5 || JSON.stringify(c)')" true
chart=$(sed -n '/<svg class="chart" id="steps-0"/,/<\/svg>/p' "$TMP/steps.html")
expect_eq "steps: one bar per step, each with its numbers" \
	"$(echo "$chart" | grep -c '<title>step [0-9]*: ')" 20
expect_eq "steps: the legend names the five parts" \
	"$(echo "$chart" | grep -o 'y="15">[a-z]*</text>' | grep -o '>[a-z]*<' | tr -d '<>' | tr '\n' ' ')" \
	"cpu runq io wait gc "
# the bar of each slow step holds the most of its cause (the tip's numbers)
tipcause() { # STEP: the part with the most ms in that step's tip
	echo "$chart" | grep -o "<title>step $1: [^<]*" | tr -d ',' |
		awk '{ best = ""; for (i = 5; i < NF; i += 2) if (best == "" || $(i + 1) + 0 > max) { max = $(i + 1) + 0; best = $i } print best }'
}
# slowsteps stays on the CPU it started on: beside a busy core it may
# share that CPU, and then a step waits for it about as long as it runs
# (test_whyslow.sh says the same of explain), so 9 and 0 may be runq.
expect_eq "steps: step 3 is mostly wait, 9 cpu (faulting) or runq, 0 cpu or runq" \
	"$(tipcause 3) $(tipcause 9 | sed 's/^runq$/cpu/') $(tipcause 0 | sed 's/^runq$/cpu/')" "wait cpu cpu"
# a step with the spinner (7 or 17; it may miss a short compute, see
# test_whyslow.sh) has more runnable time than the median step, the one
# that saves (5) more I/O
tips=$(echo "$chart" | grep -o '<title>step [^<]*' | tr -d ',:')
part() { # STEP FIELD: that part's ms in the step's tip ("median": the median)
	if [ "$1" = median ]; then
		echo "$tips" | awk -v f="$2" '{ print $f }' | sort -g |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
	else
		echo "$tips" | awk -v s="$1" -v f="$2" '$2 == s { print $f }'
	fi
}
check "steps: step 7's (or 17's) runq and step 5's io are above the median step's" \
	awk -v a="$(part 7 8)" -v a2="$(part 17 8)" -v b="$(part median 8)" \
		-v c="$(part 5 10)" -v d="$(part median 10)" \
		'BEGIN { exit !((a > b || a2 > b) && c > d) }'
check "steps: the slowest steps are listed with their cause" \
	grep -Eq '<tr><td>3</td><td class="l">pid [0-9]+</td><td>[^<]*</td><td>[^<]*</td><td class="l">wait</td><td>\+[^<]*</td><td class="l">data</td></tr>' "$TMP/steps.html"
"$MLPROBE" record -q -o "$TMP/nosteps" -- "$PROGS/burst" sleep 3 0 >/dev/null 2>&1
"$MLPROBE" report "$TMP/nosteps" -o "$TMP/nosteps.html" 2>"$TMP/err"
expect_eq "a run with spans but no steps: report exits 0" "$?" 0
check "  ... and has no step chart" test -z "$(grep 'id="steps' "$TMP/nosteps.html")"

# The checker can fail: a console error and an empty chart are seen.
cat >"$TMP/broken.html" <<'HTML'
<!DOCTYPE html><html><head><title>broken</title></head><body>
<svg class="chart" id="empty" width="300" height="200"><rect x="0" y="0" width="300" height="200" fill="none" stroke="#999"/></svg>
<script>console.error("boom")</script></body></html>
HTML
check_page "$TMP/broken.html" "$TMP/broken.json"
expect_eq "checker: sees the console error" "$(jsq "$TMP/broken.json" 'd.console.length > 0 && d.scripts')" 1
check "checker: rejects the empty chart" test "$(charts_ok "$TMP/broken.json" 1)" != true

# Bad input: one line, non-zero, no crash; no output file.
mkdir "$TMP/empty"
expect_fail "an empty directory" "$TMP/empty: no metrics, spans or logs Parquet files here" \
	"$MLPROBE" report "$TMP/empty" -o "$TMP/e.html"
check "  ... and no report written" test ! -e "$TMP/e.html"
"$MLPROBE" record -q -o "$TMP/counter" -- "$PROGS/counter" 100 >/dev/null 2>&1
expect_fail "a baseline with no span names in common" "no span names in common" \
	"$MLPROBE" report "$TMP/slow" --baseline "$TMP/counter" -o "$TMP/e.html"
check "  ... and no report or temp file left" test -z "$(ls "$TMP" | grep '^e\.html')"
cp -r "$TMP/base" "$TMP/corrupt"
printf 'garbage!' | dd of="$TMP/corrupt/metrics-0000.parquet" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_fail "a corrupt Parquet file" "$TMP/corrupt/metrics-0000.parquet: " \
	"$MLPROBE" report "$TMP/corrupt" -o "$TMP/e.html"
expect_fail "no -o" "give the output file" "$MLPROBE" report "$TMP/base"
expect_fail "a bad --steps" "invalid --steps '5:3'" "$MLPROBE" report "$TMP/base" --steps 5:3 -o "$TMP/e.html"
expect_fail "an unwritable output" "cannot create $TMP/nodir/r.html" \
	"$MLPROBE" report "$TMP/base" -o "$TMP/nodir/r.html"
done_testing

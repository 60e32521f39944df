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
# mlprobe.step + loss + timeline
expect_eq "chromium: 9 charts, each drawn and non-empty" "$(charts_ok "$TMP/pr.json" 9)" true
expect_eq "chromium: the baseline is overlaid (two series per histogram)" \
	"$(grep -c '<path class="h1"' "$page")" 7
mkdir -p "$ROOT/build/test-logs"
cp "$TMP/pr.png" "$ROOT/build/test-logs/report-screenshot.png" 2>/dev/null
check "a screenshot of the page was taken" test -s "$TMP/pr.png"

"$MLPROBE" report "$TMP/train" -o "$TMP/train.html"
expect_eq "report of the example trainer exits 0" "$?" 0
check_page "$TMP/train.html" "$TMP/train.json"
expect_eq "trainer: no console message" "$(jsq "$TMP/train.json" 'd.console.length')" 0
# 5 span names and mlprobe.step + 4 metrics + timeline
expect_eq "trainer: 11 charts, each drawn and non-empty" "$(charts_ok "$TMP/train.json" 11)" true
check "trainer: the logs are listed" grep -q 'training started: mlp' "$TMP/train.html"
check "trainer: no compare table without a baseline" test -z "$(grep 'id="compare"' "$TMP/train.html")"

"$MLPROBE" report "$TMP/strings" -o "$TMP/strings.html"
expect_eq "report of odd names (UTF-8, NaN, infinities) exits 0" "$?" 0
check_page "$TMP/strings.html" "$TMP/strings.json"
expect_eq "odd names: no console message" "$(jsq "$TMP/strings.json" 'd.console.length')" 0
check "odd names: UTF-8 kept" grep -q '损失/λ' "$TMP/strings.html"

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

#!/usr/bin/env bash
# examples/ci/perf-check.sh end to end: the first run stores the baseline,
# a run of the same benchmark passes, a 10% slower phase fails the job and
# the Markdown names it, --update-baseline accepts the new speed.
. "$(dirname "$0")/lib.sh"

job() { # ARGS...: run the CI script with this test's settings
	env BASELINE="$TMP/perf/baseline" OUT="$TMP/perf/current" MLPROBE="$MLPROBE" \
		SKIP_STEPS=5 GITHUB_STEP_SUMMARY="$TMP/summary.md" \
		POST_CMD="cp -t $TMP/posted" "$@" >"$TMP/job.out" 2>&1
}
mkdir -p "$TMP/posted"

BENCH="$PROGS/phases 200" job "$ROOT/examples/ci/perf-check.sh"
expect_eq "first run: no baseline, stores one, exits 0" "$?" 0
check "  ... and says so" grep -q "no baseline at $TMP/perf/baseline yet" "$TMP/job.out"
check "  ... the baseline is a recording" test -s "$TMP/perf/baseline/spans-0000.parquet"

BENCH="$PROGS/phases 200" METRICS="loss" job "$ROOT/examples/ci/perf-check.sh"
expect_eq "same benchmark: the job passes" "$?" 0
check "  ... the log has the table and PASS" grep -q "^PASS: no regression beyond --fail-on 5%" "$TMP/job.out"
check "  ... Markdown written" grep -q '^| `data` | 195 | 195 |' "$TMP/perf/current/compare.md"
check "  ... the metric compared too" grep -q '^| metric `loss` |' "$TMP/perf/current/compare.md"
check "  ... posted to the job summary" grep -q '^#### mlprobe compare' "$TMP/summary.md"
check "  ... posted through POST_CMD" cmp -s "$TMP/posted/compare.md" "$TMP/perf/current/compare.md"
check "  ... a report with plots" grep -q '<svg class="chart" id="timeline"' "$TMP/perf/current/report.html"

BENCH="$PROGS/phases 200 data 10" job "$ROOT/examples/ci/perf-check.sh"
expect_eq "a 10% slower phase fails the job (exit 1)" "$?" 1
# data is 10% slower, so its steps (mlprobe.step) are about 5% slower too:
# flagged or not, data must be named.
check "  ... the Markdown says FAIL and names data" \
	grep -Eq '^\*\*[0-9]+ regressions?\*\*: .*`data` \+' "$TMP/perf/current/compare.md"
check "  ... the job summary got it too" grep -q '^\*\*FAIL\*\*' "$TMP/summary.md"

BENCH="$PROGS/phases 200 data 10" job "$ROOT/examples/ci/perf-check.sh" --update-baseline
expect_eq "--update-baseline stores the slower run and exits 0" "$?" 0
BENCH="$PROGS/phases 200 data 10" job "$ROOT/examples/ci/perf-check.sh"
expect_eq "  ... after which the same speed passes" "$?" 0

BENCH="/nonexistent/bench" job "$ROOT/examples/ci/perf-check.sh"
expect_eq "a benchmark that cannot run: exit 2" "$?" 2
check "  ... with one line saying so" grep -q "recording the benchmark failed" "$TMP/job.out"
done_testing

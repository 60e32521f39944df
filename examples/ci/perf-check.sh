#!/usr/bin/env bash
# perf-check.sh - a CI job that catches performance regressions with mlprobe:
# build, record the benchmark, compare it with the stored baseline, post the
# Markdown table, and fail the job on a regression.
#
#   examples/ci/perf-check.sh                    compare with the baseline
#   examples/ci/perf-check.sh --update-baseline  store this run as the baseline
#
# Settings, from the environment (all optional):
#   BENCH       the benchmark command    (build/examples/train --quiet --steps 1000)
#   BASELINE    the stored baseline run  (perf/baseline)
#   OUT         this run's outputs       (perf/current)
#   FAIL_ON     the regression threshold (5%)
#   SKIP_STEPS  warm-up steps left out   (10)
#   METRICS     metrics compared too, e.g. "loss accuracy:higher" (none)
#   POST_CMD    a command that posts the Markdown file given as its last
#               argument, e.g. 'gh pr comment 42 --body-file' (none)
#   MLPROBE     the mlprobe binary       (build/mlprobe, built here)
# In GitHub Actions the Markdown also goes to the job summary
# ($GITHUB_STEP_SUMMARY).  Outputs: $OUT/run (the recording), compare.md,
# compare.txt and report.html (the run over the baseline, with plots).
# Exit status: 0 pass, 1 regression beyond FAIL_ON, 2 error.  Needs root
# (recording attaches eBPF probes).
set -uo pipefail
cd "$(dirname "$0")/../.."

update=0
case "${1:-}" in
--update-baseline) update=1 ;;
"") ;;
*) echo "usage: $0 [--update-baseline]" >&2; exit 2 ;;
esac
BENCH=${BENCH:-build/examples/train --quiet --steps 1000}
BASELINE=${BASELINE:-perf/baseline}
OUT=${OUT:-perf/current}
FAIL_ON=${FAIL_ON:-5%}
SKIP_STEPS=${SKIP_STEPS:-10}
MLPROBE=${MLPROBE:-build/mlprobe}

# 1. Build (the project, and so the benchmark and mlprobe).
make --no-print-directory all >/dev/null || { echo "perf-check: build failed" >&2; exit 2; }

# 2. Record the benchmark.
rm -rf "$OUT"
mkdir -p "$OUT"
# shellcheck disable=SC2086 # BENCH is a command line
if ! "$MLPROBE" record -q -o "$OUT/run" -- $BENCH >"$OUT/bench.log" 2>&1; then
	echo "perf-check: recording the benchmark failed (see $OUT/bench.log)" >&2
	exit 2
fi

# 3. No baseline yet, or asked to refresh it: this run becomes the baseline.
if [ "$update" = 1 ] || [ ! -d "$BASELINE" ]; then
	[ "$update" = 1 ] || echo "perf-check: no baseline at $BASELINE yet; storing this run"
	rm -rf "$BASELINE.new"
	mkdir -p "$(dirname "$BASELINE")"
	cp -r "$OUT/run" "$BASELINE.new" && rm -rf "$BASELINE" && mv "$BASELINE.new" "$BASELINE" ||
		{ echo "perf-check: cannot store the baseline at $BASELINE" >&2; exit 2; }
	echo "perf-check: baseline stored at $BASELINE"
	exit 0
fi

# 4. Compare: the table for the log, Markdown for the pull request, a report.
opts=(--skip-steps "$SKIP_STEPS" --fail-on "$FAIL_ON")
for m in ${METRICS:-}; do opts+=(--metric "$m"); done
"$MLPROBE" compare "${opts[@]}" "$BASELINE" "$OUT/run" | tee "$OUT/compare.txt"
status=${PIPESTATUS[0]}
if [ "$status" -gt 1 ]; then
	echo "perf-check: compare failed" >&2
	exit 2
fi
"$MLPROBE" compare -f md "${opts[@]}" "$BASELINE" "$OUT/run" >"$OUT/compare.md"
"$MLPROBE" report --skip-steps "$SKIP_STEPS" --baseline "$BASELINE" \
	-o "$OUT/report.html" "$OUT/run" || echo "perf-check: no report (see above)" >&2

# 5. Post the Markdown.  A failure to post does not hide the verdict.
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$OUT/compare.md" >>"$GITHUB_STEP_SUMMARY"
if [ -n "${POST_CMD:-}" ]; then
	# shellcheck disable=SC2086 # POST_CMD is a command line
	$POST_CMD "$OUT/compare.md" || echo "perf-check: posting failed: $POST_CMD" >&2
fi

# 6. Fail the job on a regression.
exit "$status"

#!/usr/bin/env bash
# run-tests.sh - every mlprobe test: cmocka unit tests (plain and under
# ASan+UBSan), then the end-to-end tests against real BPF and DuckDB (and a
# sanitizer pass of the record path).  Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
log=build/test-logs
mkdir -p "$log"

if [ "$(id -u)" != 0 ]; then
	echo "mlprobe tests need root (BPF, uprobes): run 'sudo make test'" >&2
	exit 1
fi
# Some tests read tracefs; BPF itself does not need it.
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

run_unit() { # BIN LABEL
	local bin=$1 label=$2 out p f
	mkdir -p "$(dirname "$log/$label.log")"
	out=$("$bin" 2>&1)
	local rc=$?
	echo "$out" >"$log/$label.log"
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi	# crashed or sanitizer
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" = 0 ]; then
		echo "ok - $label ($p tests)"
	else
		echo "not ok - $label ($f of $((p + f)) failed; see $log/$label.log)"
		grep -E '^\[  (FAILED|ERROR) |ERROR|runtime error|Sanitizer' "$log/$label.log" | head -20 | sed 's/^/#   /'
	fi
}

run_e2e() { # SCRIPT LABEL [ENV...]
	local t=$1 label=$2 p f rc t0=$SECONDS
	shift 2
	mkdir -p "$(dirname "$log/$label.log")"
	env "$@" timeout 600 bash "$t" >"$log/$label.log" 2>&1
	rc=$?
	t0=$((SECONDS - t0))
	p=$(grep -c '^ok ' "$log/$label.log" || true)
	f=$(grep -c '^not ok ' "$log/$label.log" || true)
	p=${p:-0}
	f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" = 0 ]; then
		echo "ok - $label ($p checks, ${t0} s)"
	else
		echo "not ok - $label ($f failed, ${t0} s; see $log/$label.log)"
		grep -E '^not ok |runtime error|Sanitizer' "$log/$label.log" | head -20 | sed 's/^/#   /'
		[ $rc -ne 0 ] && tail -5 "$log/$label.log" | sed 's/^/#   /'
	fi
}

# The architecture's lines (docs/architecture.md), checked on the source.
out=$(scripts/check-layers.sh)
echo "$out" >"$log/layers.log"
echo "$out" | grep -v '^#'
pass=$((pass + $(echo "$out" | grep -c '^ok ')))
fail=$((fail + $(echo "$out" | grep -c '^not ok ')))
for t in build/tests/test_*; do
	[ -x "$t" ] && run_unit "$t" "unit/$(basename "$t")"
done
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in build/san/tests/test_*; do
	[ -x "$t" ] && run_unit "$t" "unit-san/$(basename "$t")"
done
for t in tests/e2e/test_*.sh; do
	run_e2e "$t" "e2e/$(basename "$t" .sh)"
done
# Every end-to-end test again, with mlprobe (and the build's test tools)
# built with ASan + UBSan and 20 crash trials, not 100.  A test that runs
# no mlprobe binary, or cannot run under the sanitizers, says why in a line
# "# no-sanitizer: REASON", and only it is left out.
for t in tests/e2e/test_*.sh; do
	why=$(sed -n 's/^# no-sanitizer: //p' "$t" | head -1)
	if [ -n "$why" ]; then
		echo "# e2e-san/$(basename "$t" .sh): not run: $why"
		continue
	fi
	run_e2e "$t" "e2e-san/$(basename "$t" .sh)" MLPROBE_BUILD="$PWD/build/san" \
		MLPROBE="$PWD/build/san/mlprobe" TRIALS=20
done

# Fuzz each parser for a bounded time, from its seed corpus (new inputs go to
# a scratch copy; tests/fuzz/corpus stays as committed).
run_fuzz() { # NAME SECONDS
	local name=$1 secs=$2 label="fuzz/$1" work
	work=$(mktemp -d)
	mkdir -p "$log/fuzz"
	[ -d "tests/fuzz/corpus/${name#fuzz_}" ] && cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$work/"
	if (cd "$work" && "$OLDPWD/build/fuzz/$name" -max_total_time="$secs" -rss_limit_mb=1024 \
		-timeout=10 . ) >"$log/$label.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok - $label ($(grep -o 'Done [0-9]* runs' "$log/$label.log" | tail -1), ${secs}s)"
	else
		fail=$((fail + 1))
		echo "not ok - $label (see $log/$label.log; crash input kept in $work)"
		grep -E 'ERROR|runtime error' "$log/$label.log" | head -5 | sed 's/^/#   /'
		return
	fi
	rm -rf "$work"
}
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] && run_fuzz "$(basename "$f")" "${FUZZ_SECONDS:-30}"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

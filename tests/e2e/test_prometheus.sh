#!/usr/bin/env bash
# --prometheus: a real Prometheus server (started here on a loopback port,
# with its own scrape config and storage in $TMP) scrapes mlprobe while it
# records a trainer; the test then asks Prometheus's HTTP API for the
# trainer's last loss, the span histogram, the event and alert counters.
# Also: the endpoint binds loopback by default, a port in use and a bad
# address are each refused with one line.
. "$(dirname "$0")/lib.sh"

T=$PROGS/trainer
command -v prometheus >/dev/null || { not_ok "prometheus is not installed (scripts/deps.sh)"; done_testing; }
MP=$(free_port)
PP=$(free_port)
while [ "$PP" = "$MP" ]; do PP=$(free_port); done

cat >"$TMP/prom.yml" <<EOF
global:
  scrape_interval: 500ms
  scrape_timeout: 400ms
scrape_configs:
  - job_name: mlprobe
    static_configs:
      - targets: ['127.0.0.1:$MP']
EOF
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PP" >"$TMP/prom.log" 2>&1 &
ppid=$!
for i in $(seq 300); do curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null && break; sleep 0.1; done
check "Prometheus is up on 127.0.0.1:$PP" eval "curl -sf http://127.0.0.1:$PP/-/ready >/dev/null"

# q PROMQL: the API's answer, in $TMP/q.json
q() { curl -sf -G "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" >"$TMP/q.json"; }
# qv PROMQL: the value of the first result ("" when none)
qv() { q "$1" && jsq "$TMP/q.json" 'd.data.result.length ? d.data.result[0].value[1] : ""'; }

# 200 steps of 15 ms; NaN loss at step 150; the trainer stays 6 s after
# its last step so the last values are scraped while mlprobe still runs.
"$MLPROBE" record -o "$TMP/pr" --prometheus "127.0.0.1:$MP" --alert 'nan(loss)' \
	-- "$T" 200 15000 nan 150 linger 6 >"$TMP/tr.out" 2>"$TMP/rec.err" &
rpid=$!
for i in $(seq 100); do busy "$MP" && break; sleep 0.1; done
expect_fail "a port in use: one line" "cannot listen on 127.0.0.1:$MP for --prometheus: Address already in use" \
	"$MLPROBE" record -o "$TMP/busy" --prometheus "127.0.0.1:$MP" -- "$T" 5 0
check "... and no recording left behind" test ! -e "$TMP/busy"
wait_for "$TMP/tr.out" '^last loss' 30 || not_ok "the trainer did not finish its steps"
last=$(sed -n 's/^last loss //p' "$TMP/tr.out")
for i in $(seq 100); do [ "$(qv 'mlprobe_metric_step{name="loss"}')" = 199 ] && break; sleep 0.1; done
expect_eq "Prometheus has the step of the last loss" "$(qv 'mlprobe_metric_step{name="loss"}')" 199
expect_eq "Prometheus has the trainer's last loss ($last)" \
	"$(qv 'mlprobe_metric{name="loss"}')" "$last"
q 'mlprobe_metric{name="loss"}'
expect_eq "the loss gauge is labelled with the host" "$(jsq "$TMP/q.json" 'd.data.result[0].metric.host')" "$(hostname)"
expect_eq "a process without a rank is rank=\"-1\", as in --partition's rank=-1" \
	"$(jsq "$TMP/q.json" 'd.data.result[0].metric.rank')" -1
expect_eq "the target is up" "$(qv 'up{job="mlprobe"}')" 1
expect_eq "span histogram: 200 backward spans" "$(qv 'mlprobe_span_seconds_count{name="backward"}')" 200
q 'mlprobe_span_seconds_bucket{name="backward"}'
expect_eq "span histogram: 23 buckets (22 bounds and +Inf)" "$(jsq "$TMP/q.json" 'd.data.result.length')" 23
expect_eq "span histogram: le=+Inf counts every span" \
	"$(qv 'mlprobe_span_seconds_bucket{name="backward",le="+Inf"}')" 200
# backward sleeps 10 ms (two thirds of 15 ms), plus the wakeup latency
p50=$(qv 'histogram_quantile(0.5, mlprobe_span_seconds_bucket{name="backward"})')
echo "# backward p50 from Prometheus: $p50 s"
check "histogram_quantile(0.5) of backward is between 10 and 25 ms ($p50)" \
	node -e 'const v = +process.argv[1]; process.exit(v >= 0.01 && v <= 0.025 ? 0 : 1)' "$p50"
sum=$(qv 'mlprobe_span_seconds_sum{name="backward"}')
check "the histogram's sum is 200 spans of 10 ms or more ($sum s)" \
	node -e 'const v = +process.argv[1]; process.exit(v >= 2 && v < 5 ? 0 : 1)' "$sum"
expect_eq "events counter: 400 metric events" "$(qv 'mlprobe_events_total{kind="metric"}')" 400
# 400 spans of the trainer's, 199 of its steps (mlprobe.step: all but the last)
expect_eq "events counter: 400 spans and 199 steps" "$(qv 'mlprobe_events_total{kind="span"}')" 599
expect_eq "steps counter: 200" "$(qv 'mlprobe_steps_total')" 200
expect_eq "dropped counters: none" "$(qv 'sum(mlprobe_dropped_total)')" 0
expect_eq "alert counter: nan(loss) fired once" "$(qv 'mlprobe_alerts_total{rule="nan(loss)"}')" 1
wait "$rpid"
expect_eq "record exits 0" "$?" 0
sleep 1	# the detaching child in the background frees the rest
check "no error from the HTTP server at the end" eval '! grep -qi "fatal\|error" "$TMP/rec.err"'
check "the summary counts the scrapes" grep -Eq "prometheus: [0-9]+ scrapes of http://127.0.0.1:$MP/metrics" "$TMP/rec.err"
expect_eq "the recording has the same last loss (DuckDB)" \
	"$(duck1 "SELECT value FROM '$TMP/pr/metrics-*.parquet' WHERE name = 'loss' AND step = 199")" "$last"
kill "$ppid"
wait "$ppid" 2>/dev/null

# --- a port alone binds loopback only ---
P2=$(free_port)
"$MLPROBE" record -q -o "$TMP/lo" --prometheus "$P2" -- "$T" 1 0 linger 3 >"$TMP/lo.out" 2>&1 &
rpid=$!
for i in $(seq 100); do busy "$P2" && break; sleep 0.1; done
hexport=$(printf '%04X' "$P2")
expect_eq "--prometheus PORT listens on 127.0.0.1 only" \
	"$(awk -v p=":$hexport" '$4 == "0A" && substr($2, 9) == p { print $2 }' /proc/net/tcp /proc/net/tcp6 | sort -u)" \
	"0100007F:$hexport"
check "GET /metrics answers" eval "curl -sf http://127.0.0.1:$P2/metrics | grep -q '^# TYPE mlprobe_metric gauge'"
expect_eq "any other path is a 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P2/")" 404
wait "$rpid"

# --- port 0: any free port, and mlprobe says which; a cut name's label
# ends in "…" as its Parquet name does ---
"$PROGS/ctrlnames" 100000 2000 >/dev/null &
cpid=$!
"$MLPROBE" record -o "$TMP/p0" -p "$cpid" --prometheus 127.0.0.1:0 \
	>/dev/null 2>"$TMP/p0.err" &
rpid=$!
check "port 0: mlprobe says the port it bound" \
	wait_for "$TMP/p0.err" '^mlprobe: serving http://127.0.0.1:[0-9]*/metrics$' 20
url=$(sed -n 's/^mlprobe: serving \(http:.*\)$/\1/p' "$TMP/p0.err")
check "  ... and that port is not 0" test -n "${url%%*:0/metrics}"
for i in $(seq 50); do
	curl -sf "$url" >"$TMP/p0.txt" && grep -q 'name="long' "$TMP/p0.txt" && break
	sleep 0.1
done
label=$(grep -o 'mlprobe_metric{name="long[^"]*"' "$TMP/p0.txt" | head -1 | sed 's/.*name="//; s/"$//')
kill -INT "$rpid"
wait "$rpid"
kill "$cpid"
wait "$cpid" 2>/dev/null
check "the summary names the bound port" grep -q "scrapes of $url" "$TMP/p0.err"
expect_eq "the label of a cut name is the Parquet name, … included" "$label" \
	"$(duck1 "SELECT DISTINCT name FROM '$TMP/p0/metrics-*.parquet' WHERE name LIKE 'long%'" | tr -d '"')"
check "  ... which ends in …" eval '[[ "$label" == *… ]]'

expect_fail "a bad address: one line" "expected ADDR:PORT" \
	"$MLPROBE" record -o "$TMP/bad" --prometheus 127.0.0.1:http -- "$T" 1 0
expect_fail "an address that is not ours: one line" "cannot listen on 192.0.2.1:$P2" \
	"$MLPROBE" record -o "$TMP/bad2" --prometheus "192.0.2.1:$P2" -- "$T" 1 0

done_testing

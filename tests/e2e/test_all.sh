#!/usr/bin/env bash
# --all PATH: every process of a binary, running or started later, with its
# rank from the environment; --partition writes a Hive layout that DuckDB
# reads as one table; the run id comes from MLPROBE_RUN_ID.
. "$(dirname "$0")/lib.sh"

bin=$PROGS/counter
env RANK=0 LOCAL_RANK=0 WORLD_SIZE=2 MLPROBE_RUN_ID=job-42 "$bin" 100000000 500 >"$TMP/r0.out" &
r0=$!
wait_for "$TMP/r0.out" '^pid' 10
"$MLPROBE" record -o "$TMP/root" --partition --all "$bin" --flush-interval 0.2 \
	2>"$TMP/all.err" &
mpid=$!
wait_for "$TMP/all.err" 'recording every process' 20 || not_ok "record --all did not start"
# rank 1 starts after mlprobe: recorded from its very first event
env RANK=1 LOCAL_RANK=1 WORLD_SIZE=2 MLPROBE_RUN_ID=job-42 "$bin" 100000000 500 >"$TMP/r1.out" &
r1=$!
wait_for "$TMP/r1.out" '^step 2000' 20
check "rank 1: breakpoints while attached" attached_sites "$r1" "$bin"
kill -INT "$mpid"
wait "$mpid"
expect_eq "record --all exits 0 on Ctrl-C" "$?" 0
for p in "$r0" "$r1"; do
	check "PID $p: clean after detach" clean_within "$p" "$bin" 15
done
kill "$r0" "$r1"

dir="$TMP/root/run=job-42/host=$(hostname | tr -c 'A-Za-z0-9._\n-' _)"
check "Hive layout: run=job-42/host=H/rank=0 and rank=1" \
	test -f "$dir/rank=0/metrics-0000.parquet" -a -f "$dir/rank=1/metrics-0000.parquet"
check "run.json in the host directory" grep -q '"run": "job-42"' "$dir/run.json"
H="read_parquet('$TMP/root/**/metrics-*.parquet', hive_partitioning = true)"
expect_eq "DuckDB reads all ranks as one table (hive_partitioning)" \
	"$(duck1 "SELECT string_agg(DISTINCT run || '/' || rank, ',' ORDER BY run || '/' || rank) FROM $H")" '"job-42/0,job-42/1"'
expect_eq "one process per rank, the right one" \
	"$(duck1 "SELECT string_agg(rank || ':' || pid, ',' ORDER BY rank) FROM (SELECT DISTINCT rank, pid FROM $H)")" "\"0:$r0,1:$r1\""
expect_eq "local_rank and world_size columns" \
	"$(duck1 "SELECT count(*) FROM $H WHERE local_rank <> rank OR world_size <> 2")" 0
expect_eq "rank 1, started after attach, recorded from step 0, gapless" \
	"$(duck1 "SELECT min(step) = 0 AND max(step) + 1 = count(*) FROM $H WHERE rank = 1")" true
expect_eq "spans partitioned the same way" \
	"$(duck1 "SELECT count(DISTINCT rank) FROM read_parquet('$TMP/root/**/spans-*.parquet', hive_partitioning = true)")" 2

# --- flat layout: the same columns are in the files ---
RANK=5 WORLD_SIZE=8 MLPROBE_RUN_ID=not-this "$MLPROBE" record -q -o "$TMP/flat" \
	--run-id exp-7 -- "$bin" 3000 >/dev/null 2>&1
expect_eq "flat layout: rank, world_size, run, host columns" \
	"$(duck1 "SELECT string_agg(DISTINCT rank || '/' || world_size || '/' || run || '/' || (host = '$(hostname)'), ',') FROM '$TMP/flat/metrics-*.parquet'")" '"5/8/exp-7/true"'

# --- bad input ---
out=$("$MLPROBE" record -o "$TMP/b1" --all /etc/hostname 2>&1)
expect_eq "--all on a file that is not ELF: exit 1" "$?" 1
expect_eq "... one line ($out)" "$(echo "$out" | wc -l)" 1
out=$("$MLPROBE" record -o "$TMP/b2" --all /nonexistent/bin 2>&1)
expect_eq "--all on a missing file: exit 1, one line ($out)" "$?/$(echo "$out" | wc -l)" 1/1
out=$("$MLPROBE" record -o "$TMP/b3" --all "$bin" -p 1 2>&1)
expect_eq "--all with -p: usage error" "$?" 2

done_testing

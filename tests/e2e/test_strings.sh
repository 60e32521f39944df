#!/usr/bin/env bash
# Names and messages: a reused buffer, a reused heap block, Unicode, 200-byte
# strings (truncation marked), invalid UTF-8, unreadable pointers, NaN/Inf,
# nested and unmatched spans.
. "$(dirname "$0")/lib.sh"

out=$TMP/s
"$MLPROBE" record -q -o "$out" -- "$PROGS/strings" 2>"$TMP/err"
expect_eq "record -- strings exits 0" "$?" 0
M="'$out/metrics-*.parquet'"
L="'$out/logs-*.parquet'"
expect_eq "4 names through one stack buffer stay distinct" \
	"$(duck1 "SELECT string_agg(name || ':' || step, ' ' ORDER BY name, step) FROM $M WHERE name LIKE 'layer%'")" \
	'"layer0.grad:0 layer0.grad:0 layer1.grad:1 layer2.grad:2 layer3.grad:3"'
expect_eq "reused heap block: both names kept" \
	"$(duck1 "SELECT string_agg(name, ' ' ORDER BY step) FROM $M WHERE name LIKE 'heap%'")" '"heap.alpha heap.beta!"'
expect_eq "Unicode name" "$(duck1 "SELECT name FROM $M WHERE step = 3 AND value = 0.5")" '"损失/λ"'
expect_eq "Unicode message" "$(duck1 "SELECT message FROM $L WHERE level = 'warn'")" '"température élevée ☀"'
expect_eq "200-byte name truncated at 127 bytes and marked" \
	"$(duck1 "SELECT length(name) = 128 AND name LIKE 'long.nnn%…' FROM $M WHERE step = 4")" true
expect_eq "200-byte message kept whole" \
	"$(duck1 "SELECT length(message) FROM $L WHERE level = 'error'")" 200
expect_eq "message cut inside a UTF-8 character: valid, marked" \
	"$(duck1 "SELECT length(message) = 128 AND message LIKE 'éé%…' FROM $L WHERE message LIKE 'é%'")" true
expect_eq "invalid UTF-8 replaced" "$(duck1 "SELECT name FROM $M WHERE step = 5")" '"bad��utf8"'
expect_eq "unreadable name pointer recorded" "$(duck1 "SELECT name FROM $M WHERE step = 6")" '"<unreadable>"'
expect_eq "unreadable message recorded empty" \
	"$(duck1 "SELECT count(*) FROM $L WHERE message = ''")" 1
expect_eq "NaN, Inf, -Inf values" \
	"$(duck1 "SELECT string_agg(value::VARCHAR, ' ' ORDER BY step) FROM $M WHERE step >= 7")" '"nan inf -inf"'
expect_eq "nested spans with depth" \
	"$(duck1 "SELECT string_agg(name || ':' || depth || ':' || step, ' ' ORDER BY depth) FROM '$out/spans-*.parquet'")" \
	'"outer:0:7 inner:1:7"'
jq_() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(eval("j."+process.argv[2]))' "$out/run.json" "$1"; }
expect_eq "span_end without begin counted" "$(jq_ 'events.span_end.unmatched')" 1
expect_eq "truncated name counted" "$(jq_ 'events.name.truncated')" 1
expect_eq "truncated message counted" "$(jq_ 'events.log.truncated')" 1
expect_eq "unreadable strings counted" "$(( $(jq_ 'events.metric.unreadable') + $(jq_ 'events.log.unreadable') ))" 2
check "accounting ok" grep -q '"accounting_ok": true' "$out/run.json"

# A thread's name cache (BPF) must not outlive exec: execname and execname2
# hold different literals at the same address, and the first execs the second.
x=$TMP/x
"$MLPROBE" record -q -o "$x" -- "$PROGS/execname" "$PROGS/execname2" >"$TMP/x.out" 2>"$TMP/x.err"
expect_eq "record -- execname execname2 exits 0" "$?" 0
expect_eq "both images hold their name at one address" \
	"$(awk '{ print $2 }' "$TMP/x.out" | sort -u | wc -l)" 1
expect_eq "after exec, the same pointer is the new image's name" \
	"$(duck1 "SELECT string_agg(name || ':' || step, ' ' ORDER BY name, step) FROM '$x/metrics-*.parquet'")" \
	'"alpha:0 alpha:1 bravo:0 bravo:1"'
done_testing

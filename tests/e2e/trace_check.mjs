// trace_check.mjs FILE: validate a Trace Event Format file written by
// `mlprobe export` and print a JSON summary for the test to compare:
// events per phase, threads named, per-thread order violations, spans
// that partly overlap on one thread (a stack never does), the sum of
// span durations in ns (exact: "us.nnn" read as digits, not doubles), and
// the spans whose args say where their time went (and whether it adds up).
import { readFileSync } from "node:fs";

const text = readFileSync(process.argv[2], "utf8");
const d = JSON.parse(text);	// throws (exit 1) on invalid JSON
const ns = (s) => {	// "123.456" us -> 123456n ns
	const [us, frac] = s.split(".");
	return BigInt(us) * 1000n + BigInt(frac);
};
const count = {};
const named = new Set();
const last = new Map();
const open = new Map();	// thread -> stack of [start, end] in ns
let unordered = 0, overlaps = 0, badFields = 0, durSum = 0n;
// Where each span's time went (args cpu_ns, runq_ns, io_ns, wait_ns):
// spans that have them, those whose four do not add up to their
// duration, and each one's sum.
const parts = ["cpu_ns", "runq_ns", "io_ns", "wait_ns"];
const partSum = Object.fromEntries(parts.map((p) => [p, 0n]));
let timeArgs = 0, timeBad = 0;

// Durations exactly as written: read them from the text, in order.
const durs = [...text.matchAll(/"dur":(\d+\.\d{3})/g)].map((m) => ns(m[1]));
for (const e of d.traceEvents) {
	count[e.ph] = (count[e.ph] || 0) + 1;
	const thread = `${e.pid}/${e.tid}`;
	if (e.ph === "M") {
		if (e.name === "thread_name") named.add(thread);
		continue;
	}
	if (typeof e.name !== "string" || typeof e.ts !== "number" ||
	    !Number.isInteger(e.pid) || !Number.isInteger(e.tid)) badFields++;
	if (!named.has(thread)) badFields++;	// named before its events
	if (last.has(thread) && e.ts < last.get(thread)) unordered++;
	last.set(thread, e.ts);
	if (e.ph !== "X") continue;
	if (!(e.dur >= 0)) badFields++;
	if (parts.every((p) => Number.isInteger(e.args?.[p]) && e.args[p] >= 0)) {
		timeArgs++;
		const sum = parts.reduce((a, p) => a + BigInt(e.args[p]), 0n);
		if (sum !== BigInt(Math.round(e.dur * 1000))) timeBad++;
		for (const p of parts) partSum[p] += BigInt(e.args[p]);
	}
	const start = BigInt(Math.round(e.ts * 1000)), end = start + BigInt(Math.round(e.dur * 1000));
	const st = open.get(thread) || [];
	while (st.length && st[st.length - 1][1] <= start) st.pop();
	if (st.length && end > st[st.length - 1][1] + 1n) overlaps++;	// 1 ns: rounding of ts
	st.push([start, end]);
	open.set(thread, st);
}
for (const v of durs) durSum += v;
console.log(JSON.stringify({
	X: count.X || 0, C: count.C || 0, i: count.i || 0, M: count.M || 0,
	threads: named.size, unordered, overlaps, badFields,
	durSum: durSum.toString(), start: d.otherData.start_utc,
	timeArgs, timeBad,
	partSum: Object.fromEntries(parts.map((p) => [p, partSum[p].toString()])),
}));

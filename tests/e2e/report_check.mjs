// report_check.mjs PAGE.html SHOT.png: open PAGE in headless Chromium
// through chromedriver (WebDriver), save a full screenshot to SHOT, and
// print a JSON summary for the test: console messages at level SEVERE or
// WARNING, resources the page loaded, scripts, and for each chart
// (svg.chart) its size, its number of drawn shapes, and the share of
// non-white pixels and the distinct colours in its own screenshot.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { inflateSync } from "node:zlib";

const [page, shot] = process.argv.slice(2);
const port = 20000 + Math.floor(Math.random() * 20000);
const driver = spawn("chromedriver", [`--port=${port}`], { stdio: "ignore" });
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

async function wd(method, path, body) {
	const r = await fetch(`http://127.0.0.1:${port}${path}`, {
		method, headers: { "content-type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const j = await r.json();
	if (!r.ok) throw new Error(`${path}: ${JSON.stringify(j.value).slice(0, 300)}`);
	return j.value;
}

// PNG (8-bit RGB or RGBA, not interlaced, as Chromium writes) to pixels.
function decodePng(buf) {
	let pos = 8, w = 0, h = 0, type = 0;
	const idat = [];
	while (pos < buf.length) {
		const len = buf.readUInt32BE(pos), kind = buf.toString("latin1", pos + 4, pos + 8);
		const data = buf.subarray(pos + 8, pos + 8 + len);
		if (kind === "IHDR") {
			w = data.readUInt32BE(0); h = data.readUInt32BE(4); type = data[9];
			if (data[8] !== 8 || (type !== 2 && type !== 6) || data[12]) throw new Error("unexpected PNG format");
		} else if (kind === "IDAT") idat.push(data);
		pos += 12 + len;
	}
	const bpp = type === 6 ? 4 : 3, stride = w * bpp, raw = inflateSync(Buffer.concat(idat));
	const px = Buffer.alloc(h * stride);
	for (let y = 0; y < h; y++) {
		const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		for (let x = 0; x < stride; x++) {
			const a = x >= bpp ? px[y * stride + x - bpp] : 0, b = y ? px[(y - 1) * stride + x] : 0;
			const c = x >= bpp && y ? px[(y - 1) * stride + x - bpp] : 0;
			let p = line[x];
			if (f === 1) p += a;
			else if (f === 2) p += b;
			else if (f === 3) p += (a + b) >> 1;
			else if (f === 4) {
				const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
				p += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			px[y * stride + x] = p & 255;
		}
	}
	return { w, h, bpp, px };
}

function ink(png) {
	const { w, h, bpp, px } = decodePng(png);
	const colors = new Set();
	let dark = 0;
	for (let i = 0; i < w * h; i++) {
		const r = px[i * bpp], g = px[i * bpp + 1], b = px[i * bpp + 2];
		if (r < 235 || g < 235 || b < 235) dark++;
		colors.add((r >> 4) << 8 | (g >> 4) << 4 | (b >> 4));
	}
	return { share: w * h ? dark / (w * h) : 0, colors: colors.size };
}

let sid;
try {
	for (let i = 0; ; i++) {
		try { if ((await wd("GET", "/status")).ready) break; } catch (e) { if (i > 100) throw e; }
		await new Promise((r) => setTimeout(r, 100));
	}
	sid = (await wd("POST", "/session", { capabilities: { alwaysMatch: {
		browserName: "chrome",
		"goog:chromeOptions": { binary: "/usr/bin/chromium", args: ["--headless=new",
			"--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1800"] },
		"goog:loggingPrefs": { browser: "ALL" },
	} } })).sessionId;
	await wd("POST", `/session/${sid}/url`, { url: "file://" + resolve(page) });
	const info = await wd("POST", `/session/${sid}/execute/sync`, { args: [], script: `
		return {
			title: document.title,
			scripts: document.querySelectorAll("script").length,
			resources: performance.getEntriesByType("resource").map(e => e.name),
			charts: [...document.querySelectorAll("svg.chart")].map(s => {
				const r = s.getBoundingClientRect();
				return { id: s.id, w: Math.round(r.width), h: Math.round(r.height),
					shapes: s.querySelectorAll("path, polyline, rect[class^=c]").length };
			}),
		};` });
	const els = await wd("POST", `/session/${sid}/elements`, { using: "css selector", value: "svg.chart" });
	for (let i = 0; i < els.length; i++) {
		const png = Buffer.from(await wd("GET", `/session/${sid}/element/${els[i][ELEMENT]}/screenshot`), "base64");
		Object.assign(info.charts[i], ink(png));
	}
	writeFileSync(shot, Buffer.from(await wd("GET", `/session/${sid}/screenshot`), "base64"));
	const logs = await wd("POST", `/session/${sid}/se/log`, { type: "browser" });
	info.console = logs.filter((l) => l.level === "SEVERE" || l.level === "WARNING").map((l) => l.message);
	console.log(JSON.stringify(info));
} finally {
	if (sid) await wd("DELETE", `/session/${sid}`).catch(() => {});
	driver.kill();
}

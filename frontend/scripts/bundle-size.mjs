// First-load JS of the exported page: every script out/index.html loads, raw and gzipped.
// `next build` with Turbopack no longer prints this table, so we measure the export itself.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const out = new URL("../out/", import.meta.url).pathname;
const html = readFileSync(join(out, "index.html"), "utf8");
// noModule scripts are polyfills that modern browsers never download.
const scripts = [...html.matchAll(/<script([^>]*)\ssrc="([^"]+\.js)"([^>]*)>/g)]
  .filter((m) => !/nomodule/i.test(m[1] + m[3]))
  .map((m) => m[2]);
let raw = 0;
let gzip = 0;
for (const src of new Set(scripts)) {
  const body = readFileSync(join(out, src.replace(/^\//, "")));
  raw += body.length;
  gzip += gzipSync(body, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(`first-load JS for /: ${kb(raw)} kB raw, ${kb(gzip)} kB gzipped, in ${new Set(scripts).size} files`);

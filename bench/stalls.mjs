// Reads the main thread's .cpuprofile in DIR (written by --cpu-prof) and prints each busy stretch over `minMs`
// (samples in a row that are not the idle or program node), with the functions that took most of it; then the gaps
// between samples over `minMs` by the function sampled before each: the sampler's signal cannot interrupt a thread in
// uninterruptible sleep (waiting on the disk in the kernel), so a function with many long gaps is one that blocks there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const minMs = Number(process.argv[3] ?? 2);
// Main thread: the profile whose file has thread id 0 (CPU.<date>.<pid>.<tid>.<seq>.cpuprofile).
const file = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
if (!file) throw new Error(`no main-thread profile in ${dir}: ${readdirSync(dir).join(', ')}`);
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
const idle = (n) => ['(idle)', '(program)', '(root)'].includes(n.callFrame.functionName);
const stack = (id) => {
  const out = [];
  for (let x = id; x !== undefined; x = parent.get(x)) out.push(nodes.get(x));
  return out;
};
let t = prof.startTime;
const samples = prof.samples.map((id, i) => ((t += prof.timeDeltas[i]), { id, t }));
const stretches = [];
let cur = null;
for (const s of samples) {
  const n = nodes.get(s.id);
  if (idle(n)) {
    if (cur) stretches.push(cur);
    cur = null;
  } else {
    cur ??= { start: s.t, end: s.t, ids: [] };
    cur.end = s.t;
    cur.ids.push(s.id);
  }
}
const long = stretches.filter((s) => (s.end - s.start) / 1000 >= minMs).sort((a, b) => b.end - b.start - (a.end - a.start));
console.log(`${file}: ${samples.length} samples, ${stretches.length} busy stretches, ${long.length} of ${minMs} ms or more`);
for (const s of long.slice(0, 15)) {
  const self = new Map();
  const incl = new Map();
  for (const id of s.ids) {
    self.set(name(nodes.get(id)), (self.get(name(nodes.get(id))) ?? 0) + 1);
    for (const n of new Set(stack(id).map(name))) incl.set(n, (incl.get(n) ?? 0) + 1);
  }
  const top = (m, k) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([f, c]) => `${c}× ${f}`);
  console.log(`\n${((s.end - s.start) / 1000).toFixed(1)} ms at +${((s.start - prof.startTime) / 1e6).toFixed(2)} s (${s.ids.length} samples)`);
  console.log('  self: ' + top(self, 5).join(' | '));
  console.log('  incl: ' + top(incl, 12).join(' | '));
}

const gaps = new Map();
const times = samples.map((s) => s.t);
for (let i = 0; i < samples.length - 1; i++) {
  const gap = (times[i + 1] - times[i]) / 1000;
  if (gap < minMs) continue;
  const k = name(nodes.get(samples[i].id));
  const e = gaps.get(k) ?? { n: 0, total: 0, max: 0 };
  e.n++;
  e.total += gap;
  e.max = Math.max(e.max, gap);
  gaps.set(k, e);
}
console.log(`\ngaps of ${minMs} ms or more between samples, by the function before the gap:`);
for (const [k, e] of [...gaps].sort((a, b) => b[1].total - a[1].total).slice(0, 15))
  console.log(`  ${String(e.n).padStart(6)} gaps  ${e.total.toFixed(0).padStart(7)} ms  max ${e.max.toFixed(1).padStart(6)} ms  ${k}`);

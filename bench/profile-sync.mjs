// Where the main thread stalls during a sync: `node --cpu-prof --cpu-prof-dir=DIR bench/profile-sync.mjs [people]`,
// then `node bench/stalls.mjs DIR` lists the main thread's busy stretches over 2 ms and what ran in them.
import { underLoad } from './daemon-load.mjs';
import { rng, scratch, seed } from './lib.mjs';

const people = Number(process.argv[2] ?? 100_000);
const { dir, remove } = scratch();
const { pins } = seed(dir, people);
const r = await underLoad(dir, pins, rng(3), { people, sync: true, min: 3000, version: 2 });
console.log(JSON.stringify({ lagMax: r.lagMax, lagP99: r.lagP99, pullMs: r.pullMs, p99: r.lat.p99, max: r.lat.max }));
remove();

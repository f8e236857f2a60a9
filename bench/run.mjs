// npm run bench [-- --quick]: every scenario, a table of measured value against target, bench/results.json.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { scenarioApi, scenarioDecisions, scenarioFootprint, scenarioLockout, scenarioOutbox, scenarioWiegand } from './scenarios.mjs';
import { scenarioSync } from './sync-scenario.mjs';
import { scenarioConsole } from './console-scenario.mjs';
import { scenarioWebhooks } from './webhook-scenario.mjs';
import { scenarioScale } from './scale-scenario.mjs';
import { scenarioAnomaly } from './anomaly-memory.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
// --scale=N: the scale scenario's people (the full run's default is a million; --quick leaves it out unless asked).
const scaleArg = process.argv.find((a) => a.startsWith('--scale='))?.slice(8);
const scale = scaleArg ? Number(scaleArg) : quick ? 0 : 1_000_000;
if (!Number.isInteger(scale) || scale < 0) throw new Error(`--scale: a whole number of people, not ${scaleArg}`);
const scenarios = {
  decisions: scenarioDecisions,
  wiegand: scenarioWiegand,
  sync: scenarioSync,
  outbox: scenarioOutbox,
  footprint: scenarioFootprint,
  api: scenarioApi,
  lockout: scenarioLockout,
  console: scenarioConsole,
  webhooks: scenarioWebhooks,
  scale: scenarioScale,
  anomaly: scenarioAnomaly,
};
const rows = [];
for (const [name, run] of Object.entries(scenarios)) {
  if (only && only !== name) continue;
  if (name === 'scale' && scale === 0) continue;
  process.stderr.write(`bench: ${name}${quick ? ' (quick)' : ''}...\n`);
  const t0 = performance.now();
  rows.push(...(await run({ quick, scale })));
  process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const w = (k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const cols = ['scenario', 'metric', 'value', 'target'];
const widths = Object.fromEntries(cols.map((c) => [c, w(c)]));
const line = (r) => [...cols.map((c) => String(r[c]).padEnd(widths[c])), r.ok === null ? 'report' : r.ok ? 'OK' : 'MISSED', r.note].join('  ');
console.log(line({ scenario: 'scenario', metric: 'metric', value: 'value', target: 'target', ok: null, note: 'note' }).replace('report', 'result'));
for (const r of rows) console.log(line(r));
const machine = { cpus: cpus().length, model: cpus()[0]?.model, memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version };
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), quick, machine, rows }, null, 2) + '\n');
const missed = rows.filter((r) => r.ok === false).length;
console.log(`\n${rows.length} measurements, ${missed} missed their target${quick ? ' (quick mode: smaller data)' : ''}`);
process.exit(0);

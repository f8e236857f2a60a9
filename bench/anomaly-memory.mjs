// node --expose-gc bench/anomaly-memory.mjs [--people=N] [--zone=Z, Europe/London]: new_hour's memory (core/anomaly-rules.ts
// GrantHours, from dist/) for N people (100,000) × 20 days × 2 grants a day, fed in time order through grant()
// (judge, then note). Reports heap bytes per person (heapUsed + arrayBuffers after a full GC, less the same before)
// and the time per grant. Also the `anomaly` scenario of bench/run.mjs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GrantHours } from '../dist/core/anomaly-rules.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const heap = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** The rows of bench/run.mjs; in a child node with --expose-gc when this one has no gc (run.mjs runs without). */
export async function scenarioAnomaly({ quick = false, people = quick ? 20_000 : 100_000, zone = 'Europe/London' } = {}) {
  if (typeof globalThis.gc !== 'function') {
    const args = ['--expose-gc', fileURLToPath(import.meta.url), `--people=${people}`, `--zone=${zone}`, '--json'];
    return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
  }
  const days = 20;
  const start = Date.UTC(2026, 2, 1);
  const before = heap();
  const hours = new GrantHours({ enabled: true, days: 30, minHistory: 5 }, zone);
  let found = 0;
  const t0 = performance.now();
  for (let d = 0; d < days; d++) {
    for (const at of [8, 17]) {
      for (let p = 1; p <= people; p++) {
        // Each person their own pair of hours (a shift), so the masks are not all alike; now and then one is new.
        const hour = (at + (p % 3) + (d === days - 1 && p % 97 === 0 ? 5 : 0)) % 24;
        if (hours.grant(p, start + d * DAY_MS + hour * HOUR_MS + (p % 3600) * 1000)) found++;
      }
    }
  }
  const grants = days * 2 * people;
  const perGrantUs = ((performance.now() - t0) * 1000) / grants;
  const bytes = heap() - before;
  // Kept alive to here, so the collection above cannot free it.
  if (!hours.grant(1, start + days * DAY_MS + 3 * HOUR_MS)) throw new Error('new_hour found nothing at a new hour');
  const row = (metric, value, target, ok, note = '') => ({ scenario: 'anomaly', metric, value, target, ok, note });
  return [
    row(
      `heap per person (${people.toLocaleString('en')} people, ${days} days × 2 grants)`,
      `${Math.round(bytes / people)} B`,
      '< 300 B',
      bytes / people < 300,
      `${(bytes / 2 ** 20).toFixed(1)} MiB in all`,
    ),
    row(
      'note and judge, per grant',
      `${perGrantUs.toFixed(2)} µs`,
      '< 10 µs',
      perGrantUs < 10,
      `${found} new_hour finding(s) in ${grants.toLocaleString('en')} grants; zone ${zone}`,
    ),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (k) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const rows = await scenarioAnomaly({ people: Number(arg('people') ?? 100_000), zone: arg('zone') ?? 'Europe/London' });
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows));
  else for (const r of rows) console.log(`${r.metric}: ${r.value} (target ${r.target}${r.ok ? '' : ', MISSED'}) ${r.note}`);
}

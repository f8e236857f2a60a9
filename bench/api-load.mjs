// Load for benchmark 7, in its own process: GET /people/{id}/credentials at a fixed rate, latencies out as JSON.
const [base, token, seconds, rate] = process.argv.slice(2);
const duration = Number(seconds) * 1000;
const interval = 1000 / Number(rate);
const lat = [];
let errors = 0;
let sent = 0;
const start = performance.now();
const inflight = new Set();
while (performance.now() - start < duration) {
  const due = start + sent * interval;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const id = 1 + (sent % 1000);
  sent++;
  const t0 = performance.now();
  const p = fetch(`${base}/api/3/people/${id}/credentials`, { headers: { Authorization: `Bearer ${token}` } })
    .then(async (res) => {
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      lat.push(performance.now() - t0);
    })
    .catch(() => errors++)
    .finally(() => inflight.delete(p));
  inflight.add(p);
}
await Promise.all(inflight);
lat.sort((a, b) => a - b);
const pct = (q) => lat[Math.min(lat.length - 1, Math.floor((q / 100) * lat.length))];
const elapsed = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({ requests: sent, rate: Math.round(sent / elapsed), errors, p50: pct(50), p99: pct(99) }));

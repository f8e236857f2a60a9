// A child process that uses the console as browsers would: each "browser" polls the door cards every 2 s (the doors
/* global AbortController */
// page's htmx poll), opens the live feed (SSE), and loads the people page now and then. Prints a JSON summary.
const [base, cookie, secondsText, browsersText] = process.argv.slice(2);
const seconds = Number(secondsText);
const browsers = Number(browsersText);
const headers = { Cookie: cookie };
const end = Date.now() + seconds * 1000;
let requests = 0;
let errors = 0;
const lat = [];

async function get(path) {
  const t0 = performance.now();
  try {
    const res = await fetch(base + path, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) errors++;
  } catch {
    errors++;
  }
  lat.push(performance.now() - t0);
  requests++;
}

const streams = [];
for (let b = 0; b < browsers; b++) {
  const controller = new AbortController();
  streams.push(controller);
  fetch(base + 'events-stream', { headers, signal: controller.signal })
    .then(async (res) => {
      const reader = res.body.getReader();
      for (;;) if ((await reader.read()).done) break;
    })
    .catch(() => undefined);
}
await Promise.all(
  Array.from({ length: browsers }, async (_, b) => {
    let tick = 0;
    while (Date.now() < end) {
      await get('doors-cards');
      if (tick++ % 5 === b % 5) await get(`people?page=${1 + (tick % 100)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }),
);
for (const s of streams) s.abort();
lat.sort((a, b) => a - b);
console.log(JSON.stringify({ requests, errors, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN, rate: requests / seconds }));
process.exit(0);

/** The daemon's stderr sink: lines leave in order, off the main thread, bounded when the reader stalls. */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asyncStderrSink } from '../../src/log.js';
import { scratchDir } from '../helpers/scratch.js';
import { eventually } from '../helpers/daemon.js';

/** A sink writing to a fresh file, and a reader for what has reached the file. */
function fileSink(maxQueued: number) {
  const d = scratchDir();
  const file = join(d.dir, 'err.log');
  const fd = openSync(file, 'w');
  return {
    sink: asyncStderrSink(maxQueued, fd),
    text: () => readFileSync(file, 'utf8'),
    done: () => (closeSync(fd), d.remove()),
  };
}

describe('asyncStderrSink', () => {
  it('writes every line, in order, batching what queued up meanwhile', async () => {
    const f = fileSink(100_000);
    for (let i = 0; i < 5000; i++) f.sink(`line ${i}`);
    const text = await eventually(f.text, (t) => t.split('\n').length > 5000);
    expect(text.trimEnd().split('\n')).toEqual(Array.from({ length: 5000 }, (_, i) => `line ${i}`));
    f.done();
  });

  it('drops past its bound, counts what it dropped, and says so once writing catches up', async () => {
    const f = fileSink(10);
    for (let i = 0; i < 50; i++) f.sink(`burst ${i}`);
    await eventually(f.text, (t) => t.includes('burst 10'));
    f.sink('after');
    const text = await eventually(f.text, (t) => t.includes('after'));
    const lines = text.trimEnd().split('\n');
    // The first went out at once; 10 more were queued; the rest were counted.
    expect(lines.slice(0, 11)).toEqual(Array.from({ length: 11 }, (_, i) => `burst ${i}`));
    expect(lines.slice(11)).toEqual(['warn log: 39 log lines were dropped while stderr was not taking them', 'after']);
    f.done();
  });
});

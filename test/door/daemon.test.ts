import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { Daemon, HardwareConfigError } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';

describe('daemon control requests', () => {
  it('refuses the sim commands when it is not running the simulated door', () => {
    const daemon = new Daemon({ config: configSchema.parse({ data_dir: '/nonexistent' }), sim: false, log: createLogger('t', 'error', () => undefined) });
    for (const req of [
      { cmd: 'sim_key', door: 1, keys: '1234#' },
      { cmd: 'sim_card', door: 1, number: '5' },
      { cmd: 'sim_door', door: 1, open: true },
      { cmd: 'sim_rex', door: 1 },
    ] as const) {
      expect(daemon.request(req)).toEqual({ ok: false, error: 'this keypadd is not running the simulated door (start it with --sim)' });
    }
  });

  it('will not start real hardware for a door that is not wired', async () => {
    const daemon = new Daemon({ config: configSchema.parse({ data_dir: '/nonexistent' }), sim: false, log: createLogger('t', 'error', () => undefined) });
    await expect(daemon.start()).rejects.toThrow(HardwareConfigError);
  });
});

import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { controlHandler } from '../../src/control/control-handlers.js';
import { Daemon, HardwareConfigError } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';

describe('daemon control requests', () => {
  it('refuses the sim commands when it is not running the simulated door', async () => {
    const handle = controlHandler({ status: () => ({ doors: [] }), doors: new Map(), commands: { doors: new Map(), sync: null }, sim: false });
    for (const req of [
      { cmd: 'sim_key', door: 1, keys: '1234#' },
      { cmd: 'sim_card', door: 1, number: '5' },
      { cmd: 'sim_door', door: 1, open: true },
      { cmd: 'sim_rex', door: 1 },
    ] as const) {
      expect(await handle(req)).toEqual({ ok: false, error: 'this keypadd is not running the simulated door (start it with --sim)' });
    }
  });

  it('will not start real hardware for a door that is not wired', async () => {
    const daemon = new Daemon({
      config: configSchema.parse({ data_dir: '/nonexistent' }),
      sim: false,
      log: createLogger('t', 'error', () => undefined),
    });
    await expect(daemon.start()).rejects.toThrow(HardwareConfigError);
  });
});

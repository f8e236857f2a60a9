/**
 * `keypadd test` as an installer runs it, in child processes on the simulated door: the relay pulsed and locked at
 * the end (Ctrl-C and SIGTERM included), the inputs watched live, and a refusal while the daemon holds the door.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli } from '../helpers/cli.js';
import { simDoor } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function cli(yaml = ''): Cli {
  const d = scratchDir('keypadd-wiring-cli-');
  cleanups.push(d.remove);
  return new Cli(d.dir, yaml);
}

/** A running `keypadd test ...`, its output as lines, and a way to wait for one. */
function start(k: Cli, ...args: string[]) {
  const proc: ChildProcess = k.spawn('test', ...args);
  cleanups.push(() => void proc.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const lines = () => stdout.trimEnd().split('\n');
  const waitFor = async (text: string) => {
    const end = Date.now() + 15_000;
    while (!stdout.includes(text)) {
      if (Date.now() > end || proc.exitCode !== null) throw new Error(`no "${text}" in: ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { proc, exited, lines, waitFor, stderr: () => stderr };
}

describe('keypadd test', () => {
  it('pulses the relay: unlocked for --ms, then locked, exit 0', async () => {
    const t = start(cli(), 'relay', '--sim', '--ms', '300');
    const began = Date.now();
    expect(await t.exited).toBe(0);
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(t.lines()).toEqual([
      'Front Door (door 1, simulated): relay (a fail-secure strike, energised = unlocked)',
      'relay: locked (de-energised)',
      'relay: UNLOCKED (energised) for 300 ms',
      'relay: locked (de-energised)',
      'done; relay locked',
    ]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('locks the relay at once on %s during the pulse (exit %i)', async (signal, code) => {
    const t = start(cli('doors: [{ id: 1, name: Gate, fail_safe: true }]\n'), 'relay', '--sim', '--ms', '10000');
    await t.waitFor('UNLOCKED');
    const sent = Date.now();
    t.proc.kill(signal);
    expect(await t.exited).toBe(code);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(t.lines().slice(1)).toEqual([
      'relay: locked (energised)',
      'relay: UNLOCKED (de-energised) for 10000 ms',
      'relay: locked (energised)',
      `${signal}: stopped; relay locked`,
    ]);
  });

  it('pulses the LED and the buzzer with the relay locked', async () => {
    const k = cli();
    for (const part of ['led', 'buzzer']) {
      const t = start(k, part, '--sim', '--ms', '100');
      expect(await t.exited).toBe(0);
      const name = part === 'led' ? 'LED' : 'buzzer';
      expect(t.lines().slice(1)).toEqual(['relay: locked (de-energised)', `${name}: on for 100 ms`, `${name}: off`, 'done; relay locked']);
    }
  });

  it('watches the inputs live: contact, REX, tamper, keys and cards as they happen, until Ctrl-C', async () => {
    const t = start(cli(), 'inputs', '--sim', '--door', '1');
    await t.waitFor('tamper: ok');
    expect(t.lines().slice(2)).toEqual(['relay: locked (de-energised)', 'door contact: closed', 'REX: released', 'tamper: ok']);
    const steps: [string, string][] = [
      ['open', 'door contact: OPEN'],
      ['close', 'door contact: closed'],
      ['rex', 'REX: released'],
      ['tamper on', 'tamper: TAMPERED'],
      ['keys 7#', 'key #'],
      ['card 786777', 'card 786777 (keypadd card add --person ID --number 786777)'],
      ['wiegand 1000000000000000000000001', 'read error from simulated Wiegand reader'],
      ['jump', '? type open, close, rex'],
    ];
    for (const [typed, shown] of steps) {
      t.proc.stdin!.write(typed + '\n');
      await t.waitFor(shown);
    }
    t.proc.kill('SIGINT');
    expect(await t.exited).toBe(0);
    const events = t
      .lines()
      .slice(6)
      .map((l) => l.replace(/^\+\d+\.\d{3} s {2}/, ''));
    expect(events.slice(0, 8)).toEqual([
      'door contact: OPEN',
      'door contact: closed',
      'REX: PRESSED',
      'REX: released',
      'tamper: TAMPERED',
      'key 7',
      'key #',
      'card 786777 (keypadd card add --person ID --number 786777)',
    ]);
    expect(events.at(-1)).toBe('SIGINT: stopped; relay locked');
  });

  it('refuses while the daemon runs on the data dir, saying how to stop the service; works once it is stopped', async () => {
    const daemon = simDoor('', cleanups);
    await daemon.start();
    const r = daemon.cli.run('test', 'relay', '--sim');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `keypadd: refused: keypadd is running on ${daemon.cli.dataDir} (PID ${daemon.proc!.pid}) and drives the door's lines: stop it first with  sudo systemctl stop keypadd`,
    );
    expect(daemon.status().relay).toBe('locked');
    await daemon.stop();
    const after = daemon.cli.run('test', 'relay', '--sim', '--ms', '50');
    expect(after.status, after.stderr).toBe(0);
  });

  it.each([
    [['relay', '--sim', '--door', '3'], 2, 'keypadd: refused: door: no door 3 (doors: 1)'],
    [['relay', '--sim', '--ms', '20'], 2, 'keypadd: refused: ms: must be 50 to 10000'],
    [['relay'], 2, 'keypadd: refused: doors[0].hardware: is missing: door 1 (Front Door) has no wiring in the config'],
    [['gate'], 2, "argument 'part'. Allowed choices are relay, led, buzzer, inputs"],
  ])('refuses %j before any line moves', (args, status, message) => {
    const r = cli().run('test', ...args);
    expect(r.status).toBe(status);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('refuses an output the config does not wire, naming the setting, and explains missing GPIO', () => {
    const k = cli('gpio: { sysfs_root: /nonexistent/gpio }\ndoors: [{ id: 1, name: Front, hardware: { relay: { pin: 17 } } }]\n');
    const led = k.run('test', 'led');
    expect(led.status).toBe(2);
    expect(led.stderr).toContain('keypadd: refused: doors[0].hardware.led: is not set: door 1 has no LED wired in the config');
    const relay = k.run('test', 'relay');
    expect(relay.status).toBe(1);
    expect(relay.stderr).toContain('keypadd: GPIO: GPIO sysfs interface not found at /nonexistent/gpio');
  });
});

/**
 * keypadd installed with systemd/install.sh in a container booted by test/helpers/nspawn.ts, and what an admin reads
 * about it: `systemctl show`, `journalctl`, and the admin CLI run as the service user.
 */
import { ROOT } from '../helpers/cli.js';
import { Container, type ShellResult } from '../helpers/nspawn.js';

/** The checkout, read-only, inside the container; install.sh runs from a copy (COPY), which the upgrade test edits. */
export const SOURCE = '/src/keypadd';
export const COPY = '/root/keypadd';
/** Long enough for the first debootstrap (minutes on a slow mirror), which runs inside the first file's beforeAll. */
export const BOOT_TIMEOUT_MS = 15 * 60_000;

/**
 * The container has no GPIO (no /sys/class/gpio), so the shipped `ExecStart=/opt/keypadd/bin/keypadd run` cannot
 * drive the example config's doors: it exits 78, as it should (failures.test.ts proves that). For everything else the
 * configured doors run on the simulated port (`run --sim`), which keeps the rest of the unit as shipped: user, groups,
 * credentials, notify, watchdog, hardening. Only ExecStart (and its partner ExecStopPost) change, in a drop-in, as an
 * admin would do it.
 */
export const SIM_DROPIN =
  '[Service]\nExecStart=\nExecStart=/opt/keypadd/bin/keypadd run --sim\nExecStopPost=\nExecStopPost=-/opt/keypadd/bin/keypadd lock-relays --sim\n';

export async function bootWithCheckout(): Promise<Container> {
  const c = await Container.boot({ bindReadOnly: { [ROOT]: SOURCE } });
  console.warn(`systemd-real: the container booted to "running" in ${c.bootMs} ms`);
  return c;
}

/** Copies the built checkout (dist/, node_modules/) to COPY, without its git metadata and its own ./var. */
export async function copyCheckout(c: Container): Promise<void> {
  await c.ok(`rm -rf ${COPY} && mkdir -p ${COPY} && tar -C ${SOURCE} --exclude=./.git --exclude=./var -cf - . | tar -C ${COPY} -xf -`);
}

/** Makes the unit run on the simulated port (see SIM_DROPIN), before or after install.sh. */
export async function useSimulatedDoor(c: Container): Promise<void> {
  await c.ok(
    `mkdir -p /etc/systemd/system/keypadd.service.d && printf '%s' '${SIM_DROPIN}' > /etc/systemd/system/keypadd.service.d/sim.conf && systemctl daemon-reload`,
  );
}

/**
 * Runs install.sh from the copy, as root, as an admin would (`sudo systemd/install.sh`). When it fails, the unit's
 * recent journal is appended to its stderr, so that a failing test shows why.
 */
export async function install(c: Container, ...args: string[]): Promise<ShellResult> {
  const r = await c.sh(`bash ${COPY}/systemd/install.sh ${args.join(' ')}`, { timeoutMs: 120_000 });
  if (r.status !== 0) r.stderr += `\n--- journalctl -u keypadd -n 30:\n${(await c.sh('journalctl -b -u keypadd -n 30 --no-pager -o cat')).stdout}`;
  return r;
}

/** `systemctl show keypadd -p ...`, as a record. */
export async function unit(c: Container, ...props: string[]): Promise<Record<string, string>> {
  const out = await c.ok(`systemctl show keypadd ${props.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Polls `systemctl show` until `check` passes; resolves to the last reading either way (the test asserts on it). */
export async function until(
  c: Container,
  props: string[],
  check: (u: Record<string, string>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, string>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const u = await unit(c, ...props);
    if (check(u) || Date.now() > end) return u;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The unit's journal since boot, message text only (`journalctl -u keypadd -o cat`), plus any extra options. */
export function journal(c: Container, ...options: string[]): Promise<string> {
  return c.ok(`journalctl -b -u keypadd --no-pager -o cat ${options.join(' ')}`);
}

/** The admin CLI as the service user, as the README says to run it; `--json` output parsed. */
export async function cli<T = Record<string, unknown>>(c: Container, ...args: string[]): Promise<T> {
  return JSON.parse(await c.ok(`sudo -u keypadd keypadd --json ${args.join(' ')}`)) as T;
}

export interface DoorStatus {
  id: number;
  relay: 'locked' | 'unlocked';
  unlock_count: number;
}

/** The simulated door's state, through the running daemon (`keypadd sim status --json`). */
export async function door(c: Container): Promise<DoorStatus> {
  return (await cli<{ doors: DoorStatus[] }>(c, 'sim', 'status')).doors[0]!;
}

/** A person with a generated PIN, made with the CLI (the daemon's demo person is not relied on). */
export async function personWithPin(c: Container, first = 'Ada'): Promise<{ id: number; pin: string }> {
  const person = await cli<{ id: number }>(c, 'person', 'add', '--first-name', first, '--last-name', 'Test');
  const credential = await cli<{ value: string }>(c, 'pin', 'add', '--person', String(person.id));
  return { id: person.id, pin: credential.value };
}

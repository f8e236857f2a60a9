/**
 * `keypadd doctor`: everything an installer should check, one line each, with the fix. Each check is independent:
 * one failing (a broken config) does not hide the others that can still run.
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { wiredLines } from '../config/door-schema.js';
import { densityLimit } from '../core/pin-rules.js';
import { connectionSettings } from '../mqtt/connection.js';
import { apiExposure } from '../api/exposure.js';
import { findChip, resolveLine } from '../drivers/gpio/sysfs-resolver.js';
import { openStore } from '../storage/store.js';
import { CredentialRepo } from '../storage/credential-repo.js';
import { readSyncState } from '../sync/state.js';
import { readUpstreamToken } from '../sync/token.js';
import { Upstream, UpstreamError } from '../sync/upstream.js';

export type Verdict = 'pass' | 'warn' | 'fail';
export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

const pass = (name: string, detail: string): Check => ({ name, verdict: 'pass', detail });
const warn = (name: string, detail: string, fix: string): Check => ({ name, verdict: 'warn', detail, fix });
const fail = (name: string, detail: string, fix: string): Check => ({ name, verdict: 'fail', detail, fix });

export async function runChecks(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  return [ownership(config), storage(config, env), freeSpace(config), ...gpio(config), ...serial(config), clock(config), api(config), await broker(config, env), await upstream(config, env)].flat();
}

function api(config: Config): Check {
  if (!config.api.enabled) return pass('API', 'off (api.enabled: false)');
  const exposed = apiExposure(config);
  if (exposed) return warn('API', exposed, 'set api.cert_file and api.key_file (https), or api.listen: 127.0.0.1:8425 behind a TLS proxy');
  return pass('API', config.api.cert_file ? `https on ${config.api.listen}` : `on ${config.api.listen}, this machine only`);
}

function storage(config: Config, env: NodeJS.ProcessEnv): Check[] {
  try {
    const store = openStore(config.data_dir, env, config.pin_key_file);
    try {
      store.db.transaction(() => store.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('doctor', 'ok')`).run()).immediate();
      const repo = new CredentialRepo(store.db);
      const dense = [4, 5, 6, 7, 8].filter((l) => repo.activePinCount(l) > densityLimit(l));
      return [
        pass('database', `${config.data_dir}/keypadd.db opens, passes its integrity check and takes writes`),
        pass('PIN key', `${store.keyPath} is private and matches the database`),
        dense.length === 0
          ? pass('PIN density', 'every PIN length keeps at least 1000 possible codes per issued code')
          : warn('PIN density', `too many active PINs of ${dense.join(', ')} digits for their space (1/1000 rule)`, 'issue longer PINs (pin_policy.generated_length) and retire short ones'),
      ];
    } finally {
      store.close();
    }
  } catch (err) {
    const msg = (err as Error).message;
    const key = /PIN key/.test(msg);
    return [fail(key ? 'PIN key' : 'database', msg, key ? 'see the message: restore the key or fix its mode (chmod 600)' : 'restore a backup or move the damaged file aside')];
  }
}

/**
 * Every file in the data directory belongs to the directory's owner (the service user). The usual culprit is the
 * admin CLI run as root before the first start: it creates keypadd.db or pin.key owned by root, and the service
 * then cannot write them. Checked before the storage check, which opens (and could create) the files itself.
 */
function ownership(config: Config): Check {
  let dirUid: number;
  try {
    dirUid = statSync(config.data_dir).uid;
  } catch {
    return pass('file ownership', `${config.data_dir} does not exist yet (systemd creates it: StateDirectory=keypadd)`);
  }
  const wrong: string[] = [];
  for (const name of ['keypadd.db', 'keypadd.db-wal', 'keypadd.db-shm', 'pin.key', 'control.sock']) {
    try {
      const uid = statSync(join(config.data_dir, name)).uid;
      if (uid !== dirUid) wrong.push(`${name} (uid ${uid})`);
    } catch {
      // Not there: nothing to own.
    }
  }
  if (wrong.length === 0) return pass('file ownership', `the files in ${config.data_dir} belong to its owner (uid ${dirUid})`);
  return fail(
    'file ownership',
    `${wrong.join(', ')} in ${config.data_dir} do not belong to its owner (uid ${dirUid}): the service cannot write them`,
    `chown --reference=${config.data_dir} ${config.data_dir}/*  and run the CLI as the service user (sudo -u keypadd keypadd ...)`,
  );
}

function freeSpace(config: Config): Check {
  try {
    const s = statfsSync(config.data_dir);
    const mb = Math.floor((s.bavail * s.bsize) / 1_048_576);
    if (mb < 20) return fail('free space', `${mb} MB free on ${config.data_dir}`, 'free space: events are kept in memory (up to a bound) while the disk is full');
    if (mb < 200) return warn('free space', `${mb} MB free on ${config.data_dir}`, 'free some space or lower events.retention_days');
    return pass('free space', `${mb} MB free on ${config.data_dir}`);
  } catch (err) {
    return fail('free space', `cannot read ${config.data_dir}: ${(err as Error).message}`, 'create the data directory (systemd does: StateDirectory=keypadd)');
  }
}

function gpio(config: Config): Check[] {
  const wired = config.doors.filter((d) => d.hardware);
  if (wired.length === 0) return [pass('GPIO', 'no door is wired (simulated door only)')];
  try {
    const chip = findChip(config.gpio.sysfs_root, config.gpio.chip);
    const out: Check[] = [pass('GPIO', `controller ${chip.name} "${chip.label}", base ${chip.base}, ${chip.ngpio} lines`)];
    for (const d of wired) {
      for (const { name, pin } of wiredLines(d.hardware!)) {
        const n = resolveLine(chip, pin, config.gpio.sysfs_root, `door ${d.id} ${name}`);
        out.push(pass(`door ${d.id} ${name}`, `BCM ${pin} = sysfs GPIO ${n}`));
      }
    }
    return out;
  } catch (err) {
    return [fail('GPIO', (err as Error).message, 'see the message')];
  }
}

function serial(config: Config): Check[] {
  return config.doors.flatMap((d) => {
    const s = d.hardware?.serial;
    if (!s) return [];
    const name = `door ${d.id} serial keypad`;
    if (!existsSync(s.path)) return [fail(name, `${s.path} does not exist`, 'plug the keypad in; check the udev rule in hardware/udev')];
    try {
      accessSync(s.path, constants.R_OK | constants.W_OK);
      return [pass(name, `${s.path} is there and usable`)];
    } catch {
      return [fail(name, `no read/write permission on ${s.path}`, 'add the keypadd user to the dialout group')];
    }
  });
}

function clock(config: Config): Check {
  const trust = config.clock.trust ?? 'timesyncd';
  if (trust !== 'timesyncd') return pass('clock', `trusted by configuration (clock.trust: ${trust})`);
  if (existsSync(config.clock.timesync_flag)) return pass('clock', 'synchronised by systemd-timesyncd since boot');
  return warn('clock', 'not synchronised since boot: visitors and time-limited roles are refused (clock_untrusted)', 'check network time (timedatectl), or fit an RTC and set clock.trust: rtc');
}

async function broker(config: Config, env: NodeJS.ProcessEnv): Promise<Check> {
  let s;
  try {
    s = connectionSettings(config, env);
  } catch (err) {
    return fail('MQTT', (err as Error).message, 'fix the file named');
  }
  if (!s) return pass('MQTT', 'off (no mqtt.url): events stay local');
  const settings = s;
  // Loaded only here: the rest of the CLI has no use for an MQTT client.
  const { default: mqtt } = await import('mqtt');
  return new Promise((resolve) => {
    const client = mqtt.connect(settings.url, {
      clientId: `${settings.clientId}-doctor`,
      username: settings.username,
      password: settings.password,
      ca: settings.ca,
      cert: settings.cert,
      key: settings.key,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    const done = (c: Check) => {
      client.end(true);
      resolve(c);
    };
    client.once('connect', () => done(pass('MQTT', `connected to ${settings.url}`)));
    client.once('error', (err: Error & { code?: number | string }) =>
      done(
        err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135
          ? fail('MQTT', `${settings.url} refused the login (${err.message})`, 'check mqtt.username and the password file')
          : fail('MQTT', `cannot reach ${settings.url}: ${err.message}`, 'check the broker address, the network, and for mqtts:// the CA file'),
      ),
    );
    setTimeout(() => done(fail('MQTT', `no answer from ${settings.url} within 5 s`, 'check the broker address and the firewall')), 5500).unref();
  });
}

/** The upstream answers with this token, and the cache it fed is fresh. */
async function upstream(config: Config, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const url = config.sync.url;
  if (url === null) return [pass('upstream', 'no upstream sync configured')];
  const checks: Check[] = [];
  try {
    const token = readUpstreamToken(config, env);
    await new Upstream({ baseUrl: url, token, timeoutMs: 5000, attempts: 1 }).get('/api/3/account');
    checks.push(pass('upstream', `${url} answers and accepts the token`));
  } catch (err) {
    const kind = err instanceof UpstreamError ? err.kind : 'error';
    const fix =
      kind === 'no_token' ? 'put the token in sync.token_file, or in /etc/keypadd/credentials/upstream-token (install.sh)'
      : kind === 'token_rejected' ? 'issue a new token upstream (scopes: account.person.readonly, account.reservation.readonly, account.role.readonly)'
      : 'check sync.url, DNS and the firewall; doors keep deciding from the cache meanwhile';
    checks.push(fail('upstream', (err as Error).message, fix));
  }
  try {
    const store = openStore(config.data_dir, env, config.pin_key_file);
    const s = readSyncState(store.db);
    store.close();
    const age = s.last_success_at ? (Date.now() - Date.parse(s.last_success_at)) / 3_600_000 : null;
    if (age === null) checks.push(warn('sync', 'no pull has succeeded yet', 'run `keypadd sync run` and read its answer'));
    else if (age > config.sync.max_age_h) checks.push(warn('sync', `last success ${age.toFixed(1)} h ago (over sync.max_age_h)`, 'see `keypadd sync status` for the last error'));
    else checks.push(pass('sync', `last success ${s.last_success_at}${s.status === 'failing' ? `; failing since: ${s.last_error}` : ''}`));
  } catch (err) {
    checks.push(fail('sync', `cannot read the sync state: ${(err as Error).message}`, 'see the storage check'));
  }
  return checks;
}

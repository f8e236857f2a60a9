/**
 * `keypadd doctor`: everything an installer should check, one line each, with the fix. Each check is independent:
 * one failing (a broken config) does not hide the others that can still run.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { fail, pass, warn, type Check } from './checks.js';
import { gpiodChecks } from './doctor-gpiod.js';
import { freeSpaceCheck, modeChecks, ownershipCheck, storageChecks, withReadOnlyStore } from './doctor-storage.js';
import { wiredLines } from '../config/door-schema.js';
import { connectionSettings } from '../mqtt/connection.js';
import { apiExposure, webExposure } from '../api/exposure.js';
import { findChip, resolveLine } from '../drivers/gpio/sysfs-resolver.js';
import { readSyncState } from '../storage/sync-state.js';
import { readUpstreamToken } from '../sync/token.js';
import { Upstream, UpstreamError } from '../sync/upstream.js';

export type { Check, Verdict } from './checks.js';

export async function runChecks(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  return [
    ownershipCheck(config),
    ...modeChecks(config),
    ...storageChecks(config, env),
    freeSpaceCheck(config),
    ...gpio(config),
    ...gpiodChecks(config, env),
    ...serial(config),
    serialModules(config),
    clock(config),
    api(config),
    web(config),
    await broker(config, env),
    await upstream(config, env),
  ].flat();
}

function api(config: Config): Check {
  if (!config.api.enabled) return pass('API', 'off (api.enabled: false)');
  const exposed = apiExposure(config);
  if (exposed) return warn('API', exposed, 'set api.cert_file and api.key_file (https), or api.listen: 127.0.0.1:8425 behind a TLS proxy');
  return pass('API', config.api.cert_file ? `https on ${config.api.listen}` : `on ${config.api.listen}, this machine only`);
}

function web(config: Config): Check {
  if (!config.web.enabled) return pass('console', 'off (web.enabled: false)');
  const exposed = webExposure(config);
  if (exposed)
    return warn(
      'console',
      exposed,
      'set web.tls.cert_file and web.tls.key_file (install.sh can make a self-signed pair), or web.listen: 127.0.0.1:8080',
    );
  return pass('console', config.web.tls.cert_file ? `https on ${config.web.listen}` : `on ${config.web.listen}, this machine only`);
}

function gpio(config: Config): Check[] {
  const wired = config.doors.filter((d) => d.hardware);
  if (wired.length === 0) return [pass('GPIO', 'no door is wired (simulated door only)')];
  try {
    const chip = findChip(config.gpio.sysfs_root, config.gpio.chip);
    const out: Check[] = [pass('GPIO', `controller ${chip.name} "${chip.label}", base ${chip.base}, ${chip.ngpio} lines`)];
    for (const d of wired) {
      // A gpiod reader's data lines are offsets on its chip, not sysfs lines (its own check covers them).
      const viaGpiod = d.hardware!.wiegand?.backend === 'gpiod';
      for (const { field, name, pin } of wiredLines(d.hardware!)) {
        if (viaGpiod && field.startsWith('wiegand.')) continue;
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

/** Written by install.sh: the USB serial drivers, loaded at boot by systemd-modules-load. */
export const MODULES_LOAD_FILE = '/etc/modules-load.d/keypadd.conf';
export const SERIAL_MODULES = ['usbserial', 'cdc_acm'];

/**
 * The unit's `DeviceAllow=char-ttyUSB` and `char-ttyACM` are resolved to device majors when the service starts. A
 * USB serial adapter whose driver loads later (plugged in after boot) has no major yet then, and the service gets
 * EPERM on it until it is restarted. Loading the drivers at boot, before the service starts, closes that gap.
 */
export function serialModules(config: Config, file = MODULES_LOAD_FILE): Check {
  const name = 'serial modules';
  if (!config.doors.some((d) => d.hardware?.serial)) return pass(name, 'no serial keypad configured');
  let listed: string[] = [];
  try {
    listed = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
  } catch {
    // Missing: every module is missing.
  }
  const missing = SERIAL_MODULES.filter((m) => !listed.includes(m));
  if (missing.length === 0) return pass(name, `${file} loads ${SERIAL_MODULES.join(', ')} at boot`);
  return warn(
    name,
    `${file} does not load ${missing.join(', ')} at boot: a USB serial keypad whose driver loads after keypadd starts is refused (EPERM) until a restart`,
    `printf '%s\\n' ${SERIAL_MODULES.join(' ')} > ${file}  (install.sh writes it)`,
  );
}

function clock(config: Config): Check {
  const trust = config.clock.trust ?? 'timesyncd';
  if (trust !== 'timesyncd') return pass('clock', `trusted by configuration (clock.trust: ${trust})`);
  if (existsSync(config.clock.timesync_flag)) return pass('clock', 'synchronised by systemd-timesyncd since boot');
  return warn(
    'clock',
    'not synchronised since boot: visitors and time-limited roles are refused (clock_untrusted)',
    'check network time (timedatectl), or fit an RTC and set clock.trust: rtc',
  );
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
      kind === 'no_token'
        ? 'put the token in sync.token_file, or in /etc/keypadd/credentials/upstream-token (install.sh)'
        : kind === 'token_rejected'
          ? 'issue a new token upstream (scopes: account.person.readonly, account.reservation.readonly, account.role.readonly)'
          : 'check sync.url, DNS and the firewall; doors keep deciding from the cache meanwhile';
    checks.push(fail('upstream', (err as Error).message, fix));
  }
  try {
    const s = withReadOnlyStore(config, env, (store) => readSyncState(store.db));
    const age = s.last_success_at ? (Date.now() - Date.parse(s.last_success_at)) / 3_600_000 : null;
    if (age === null) checks.push(warn('sync', 'no pull has succeeded yet', 'run `keypadd sync run` and read its answer'));
    else if (age > config.sync.max_age_h)
      checks.push(warn('sync', `last success ${age.toFixed(1)} h ago (over sync.max_age_h)`, 'see `keypadd sync status` for the last error'));
    else checks.push(pass('sync', `last success ${s.last_success_at}${s.status === 'failing' ? `; failing since: ${s.last_error}` : ''}`));
  } catch (err) {
    checks.push(fail('sync', `cannot read the sync state: ${(err as Error).message}`, 'see the storage check'));
  }
  return checks;
}

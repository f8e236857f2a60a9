/**
 * The composition root of `keypadd run`: opens storage, starts the event writer, builds each door from its drivers
 * and the core, serves the control socket, and drives every relay locked on the way in and on the way out.
 */
import { doorPinRules } from './config/policy.js';
import type { Config } from './config/schema.js';
import { ControlServer } from './control/server.js';
import type { ControlRequest, ControlResponse } from './control/protocol.js';
import { parseCardNumber } from './core/card-number.js';
import { toIsoSeconds } from './core/site-time.js';
import { DoorController, type DoorStatus } from './door/door-controller.js';
import { SystemClock, type Clock } from './drivers/clock.js';
import type { DoorHardware } from './drivers/door-hardware.js';
import { SimDoorHardware } from './drivers/sim/sim-door.js';
import type { GpioPort } from './drivers/gpio/port.js';
import { parseBitString } from './core/wiegand-encoder.js';
import type { Logger } from './log.js';
import { AccessRepo } from './storage/access-repo.js';
import type { EventRow } from './storage/event-repo.js';
import { EventWriter } from './storage/event-writer.js';
import { LockoutRepo } from './storage/lockout-repo.js';
import { openStore, type Store } from './storage/store.js';
import { MqttBridge } from './mqtt/bridge.js';
import { ApiHost } from './api/api-host.js';
import { SyncHost } from './sync/sync-host.js';
import { lowerHelperThreads } from './worker-threads.js';
import { createRequire } from 'node:module';

const { version: VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The configuration cannot drive real hardware (a door without wiring). Exit status 2, like other config errors. */
export class HardwareConfigError extends Error {
  override name = 'HardwareConfigError';
}

export interface DaemonOptions {
  config: Config;
  /** Run the simulated door (the only driver until the hardware drivers land). */
  sim: boolean;
  log: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export class Daemon {
  private store?: Store;
  private writer?: EventWriter;
  private control?: ControlServer;
  private mqtt?: MqttBridge;
  private api?: ApiHost;
  private sync?: SyncHost;
  private helpers?: NodeJS.Timeout;
  private port: GpioPort | null = null;
  readonly doors = new Map<number, { controller: DoorController; hw: DoorHardware }>();
  private readonly clock: Clock;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: DaemonOptions) {
    const trust = opts.config.clock.trust ?? (opts.sim ? 'always' : 'timesyncd');
    this.clock = opts.clock ?? new SystemClock(trust, opts.config.clock.timesync_flag);
  }

  get storeForAdmin(): Store {
    return this.store!;
  }

  async start(): Promise<void> {
    const { config, log } = this.opts;
    const port = this.opts.sim ? null : await this.openGpio();
    this.port = port;
    // Loaded only for real doors: the simulated door needs neither serialport nor onoff.
    const { GpioDoorHardware } = port === null ? { GpioDoorHardware: null } : await import('./drivers/gpio-door.js');
    const store = openStore(config.data_dir, this.opts.env ?? process.env, config.pin_key_file);
    this.store = store;
    const access = new AccessRepo(store.db);
    const saved = new LockoutRepo(store.db).all();
    const writer = new EventWriter(config.data_dir, log.child('events'), {
      days: config.events.retention_days,
      onlyPublished: config.mqtt.url !== null,
    });
    this.writer = writer;
    // Doors first: their relays are driven locked before anything else can happen.
    for (const door of config.doors) {
      // A door's lines are claimed (and its relay driven locked) here, one door at a time.
      const hw = port === null || GpioDoorHardware === null ? new SimDoorHardware() : new GpioDoorHardware(port, door, door.hardware!);
      const rules = doorPinRules(config, door);
      const controller = new DoorController({
        door,
        hw,
        clock: this.clock,
        zone: config.site.time_zone,
        pinPolicy: { min: rules.min_length, max: rules.max_length, rejectWeak: rules.weak_pins === 'reject' },
        lockoutPolicy: {
          attempts: config.lockout.attempts,
          windowMs: config.lockout.window_s * 1000,
          durationMs: config.lockout.duration_s * 1000,
          maxDurationMs: config.lockout.max_duration_s * 1000,
          alarmAfter: config.lockout.alarm_after,
        },
        lookup: (kind, value) => {
          const canonical = kind === 'Card' ? parseCardNumber(value) : null;
          if (canonical && !canonical.ok) return null;
          return access.lookup(kind, store.digest(canonical ? canonical.number : value), toIsoSeconds(this.clock.wallMs()));
        },
        events: writer,
        log: log.child(`door${door.id}`),
        resumedLockout: saved.get(door.id),
        onRelayChange: () => this.mqtt?.relayChanged(door.id),
      });
      controller.start();
      this.doors.set(door.id, { controller, hw });
    }
    await writer.start();
    writer.onRecorded((row) => logEvent(log, row));
    if (config.sync.url !== null) this.sync = new SyncHost(config, writer, log.child('sync'), () => this.mqtt?.publishStatus(), this.retryBaseMs());
    this.mqtt = new MqttBridge({
      config,
      doors: new Map([...this.doors].map(([id, d]) => [id, d.controller])),
      events: writer,
      log,
      version: VERSION,
      clockTrusted: () => this.clock.trusted(),
      env: this.opts.env ?? process.env,
      sync: this.sync,
    });
    writer.onRecorded((row) => this.mqtt?.recorded(row));
    this.mqtt.start();
    this.sync?.start();
    if (config.api.enabled) {
      this.api = new ApiHost(config, new Map([...this.doors].map(([id, d]) => [id, d.controller])), log.child('api'));
      this.api.start();
    }
    this.control = new ControlServer(config.data_dir, (req) => this.request(req), log.child('control'));
    await this.control.start();
    // Background threads (V8's helpers, libuv's pool, the workers) yield the CPU to the input path at once; again now
    // and then, for threads started since (a restarted worker, libuv's pool on first use).
    lowerHelperThreads();
    this.helpers = setInterval(() => lowerHelperThreads(), 30_000);
    this.helpers.unref();
    log.info(`running ${this.doors.size} door(s) on ${config.data_dir}${this.opts.sim ? ' (simulated door)' : ''}; clock trusted: ${this.clock.trusted()}`);
  }

  /** Locks every door, then stores what is left to store. Safe to call twice. */
  async stop(): Promise<void> {
    clearInterval(this.helpers);
    for (const { controller, hw } of this.doors.values()) {
      controller.stop();
      hw.close();
    }
    await this.control?.stop();
    await this.api?.stop();
    await this.sync?.stop();
    await this.writer?.stop();
    // Last, so events stored at shutdown are in the outbox; what is not published now goes at the next start.
    await this.mqtt?.stop();
    this.port?.close();
    this.port = null;
    this.store?.close();
    this.doors.clear();
    this.control = undefined;
    this.writer = undefined;
    this.mqtt = undefined;
    this.api = undefined;
    this.sync = undefined;
    this.store = undefined;
  }

  /** The Pi's GPIO through onoff, after checking that every door is wired in the config. */
  private async openGpio(): Promise<GpioPort> {
    const unwired = this.opts.config.doors.filter((d) => !d.hardware);
    if (unwired.length > 0) {
      throw new HardwareConfigError(
        `${unwired.map((d) => `door ${d.id} (${d.name})`).join(', ')} has no hardware section: describe its wiring in the config ` +
          `(examples in hardware/), or run the simulated door with --sim`,
      );
    }
    const g = this.opts.config.gpio;
    const { OnoffPort, loadOnoff } = await import('./drivers/gpio/onoff-port.js');
    return new OnoffPort(await loadOnoff(), g.sysfs_root, g.chip);
  }

  /** Tests shorten sync's retry backoff; production keeps the default (1 s, doubling). */
  private retryBaseMs(): number | undefined {
    const v = Number((this.opts.env ?? process.env).KEYPADD_TEST_SYNC_RETRY_MS);
    return Number.isFinite(v) && v > 0 ? v : undefined;
  }

  /** Since when storing events has failed (for the watchdog's health check), or null. */
  storageFailingSince(): number | null {
    return this.writer?.failingSince ?? null;
  }

  /** One line for systemd's STATUS= and `systemctl status`. */
  summary(): string {
    const s = this.status();
    const doors = s.doors.map((d) => `${d.name} ${d.relay}${d.lockout.active ? ' (keypad locked out)' : ''}`).join(', ');
    const mqtt = s.mqtt?.enabled ? `MQTT ${s.mqtt.connected ? 'up' : 'down'}, ${s.mqtt.backlog ?? 0} to publish` : 'MQTT off';
    const sync = s.sync ? `; sync ${s.sync.status}${s.sync.age_s !== null ? ` ${formatAge(s.sync.age_s)} ago` : ''}` : '';
    return `${doors}; ${mqtt}; clock ${s.clock_trusted ? 'trusted' : 'NOT trusted'}${sync}`;
  }

  /** Drives every relay locked at once, without waiting for anything: for fatal errors. */
  lockAll(): void {
    for (const { controller } of this.doors.values()) controller.stop();
  }

  status(): {
    version: string;
    sim: boolean;
    uptime_s: number;
    clock_trusted: boolean;
    event_backlog: number;
    mqtt: ReturnType<MqttBridge['status']> | null;
    api: { url: string | null; error: string | null } | null;
    sync: ReturnType<SyncHost['summary']> | null;
    doors: DoorStatus[];
  } {
    return {
      version: VERSION,
      sim: this.opts.sim,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      clock_trusted: this.clock.trusted(),
      event_backlog: this.writer?.backlog ?? 0,
      mqtt: this.mqtt?.status() ?? null,
      api: this.api ? { url: this.api.url, error: this.api.error } : null,
      sync: this.sync?.summary() ?? null,
      doors: [...this.doors.values()].map((d) => d.controller.status()),
    };
  }

  onEvent(listener: (row: EventRow) => void): void {
    this.writer?.onRecorded(listener);
  }

  /** Answers a control-socket request. */
  request(req: ControlRequest): ControlResponse | Promise<ControlResponse> {
    switch (req.cmd) {
      case 'sync_run':
        if (!this.sync) return { ok: false, error: 'sync is not configured (sync.url)' };
        return this.sync.run({ force: req.force === true, full: req.full === true }).then((result) => ({ ok: true, result }));
      case 'status':
        return { ok: true, result: this.status() };
      case 'lockout_list':
        return { ok: true, result: this.status().doors.map((d) => ({ door: d.id, name: d.name, ...d.lockout })) };
      case 'lockout_reset':
        this.door(req.door).controller.resetLockout(req.source);
        return { ok: true, result: this.door(req.door).controller.status().lockout };
      default:
        return this.handleSim(req);
    }
  }

  private handleSim(req: ControlRequest): ControlResponse {
    if (!this.opts.sim) return { ok: false, error: 'this keypadd is not running the simulated door (start it with --sim)' };
    if (!('door' in req)) return { ok: false, error: `unknown command "${(req as { cmd: string }).cmd}"` };
    const hw = this.door(req.door).hw;
    if (!(hw instanceof SimDoorHardware)) return { ok: false, error: `door ${req.door} is not simulated` };
    switch (req.cmd) {
      case 'sim_key':
        hw.typeKeys(String(req.keys));
        break;
      case 'sim_card': {
        const n = parseCardNumber(String(req.number));
        if (!n.ok) return { ok: false, error: `card number: ${n.message}` };
        hw.presentCard(n.number);
        break;
      }
      case 'sim_door':
        hw.setDoor(req.open === true);
        break;
      case 'sim_rex':
        hw.pressRex();
        break;
      case 'sim_wiegand': {
        const frames = String(req.bits).split(/[\s,]+/).filter(Boolean).map(parseBitString);
        if (frames.length === 0 || frames.some((f) => f === null)) return { ok: false, error: 'bits: frames of 0 and 1, at most 64 bits each, separated by spaces' };
        const interval = Number(req.interval_ms ?? 1);
        if (!(interval >= 0.2 && interval <= 20)) return { ok: false, error: 'interval_ms: must be 0.2 to 20' };
        hw.sendWiegand(frames as number[][], interval);
        break;
      }
      case 'sim_tamper':
        hw.tamper.set(req.on === true);
        break;
      case 'sim_hang': {
        // A hung daemon, for the watchdog: the main thread does nothing else for this long.
        const until = performance.now() + Math.min(Number(req.ms) || 0, 30_000);
        while (performance.now() < until);
        break;
      }
      default:
        return { ok: false, error: `unknown command "${(req as { cmd: string }).cmd}"` };
    }
    return { ok: true, result: this.door(req.door).controller.status() };
  }

  private door(id: unknown): { controller: DoorController; hw: DoorHardware } {
    const d = this.doors.get(Number(id));
    if (!d) throw new Error(`door: no door ${String(id)} (doors: ${[...this.doors.keys()].join(', ')})`);
    return d;
  }
}

function formatAge(s: number): string {
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function logEvent(log: Logger, e: EventRow): void {
  const who = e.person_name ? ` ${e.person_name}` : '';
  log.info(`event #${e.id} door ${e.door_id} seq ${e.door_seq}: ${e.event_type}${e.reason ? ` (${e.reason})` : ''}${who}`);
}

/**
 * The composition root of `keypadd run`: only the wiring. Start-up order is the door's safety order: the data-dir lock
 * (one daemon per data dir, before any hardware is touched), every relay claimed and driven locked, then storage, the
 * doors, the event writer, and the services (MQTT, API, sync, the control socket, the watchers), each started apart
 * from the others. Every failure on the way, and every stop, drives the relays locked first.
 */
import { createDemoPerson } from './application/demo.js';
import { applyCalendarConfig } from './application/site-calendar.js';
import type { CommandContext } from './commands/door-commands.js';
import type { Config } from './config/schema.js';
import type { ConfigProvenance } from './config/origins.js';
import { controlHandler } from './control/control-handlers.js';
import { InstanceLock } from './control/instance-lock.js';
import { ControlServer, type ControlHandler } from './control/server.js';
import type { ControlRequest, ControlResponse } from './control/protocol.js';
import type { PersistedLockout } from './core/lockout.js';
import { toIsoSeconds } from './core/site-time.js';
import { buildDoors, type BuiltDoor } from './door/build-doors.js';
import type { DoorStatus } from './door/door-controller.js';
import { SystemClock, type Clock } from './drivers/clock.js';
import type { GpioPort } from './drivers/gpio/port.js';
import { claimRelays, describeWiring, lockRelay, openGpio, type ClaimedRelay } from './drivers/wiring.js';
import type { Logger } from './log.js';
import { ApiHost } from './api/api-host.js';
import { MqttBridge } from './mqtt/bridge.js';
import { EventBus } from './services/bus.js';
import { ClockWatch } from './services/clock-watch.js';
import { AnomalyWatch } from './services/anomaly-watch.js';
import { EventLog } from './services/event-log.js';
import { HelperThreads } from './services/helper-threads.js';
import { PinExpiryWatch } from './services/pin-expiry-watch.js';
import { Services } from './services/service.js';
import { StorageWatch } from './services/storage-watch.js';
import { CredentialLookup } from './storage/credential-lookup.js';
import { CalendarLookup } from './storage/calendar-lookup.js';
import { DoorModeRepo, SITE_KEY } from './storage/door-mode-repo.js';
import { SiteLockdownState } from './door/site-lockdown.js';
import { EventWriter } from './storage/event-writer.js';
import { EventRepo } from './storage/event-repo.js';
import { LockoutRepo } from './storage/lockout-repo.js';
import { MQTT_OUTBOX } from './storage/outbox-repo.js';
import { NotificationRuleRepo, WEBHOOK_OUTBOX_PREFIX } from './storage/notification-rule-repo.js';
import { openStorage, reserveBytes, type StorageMode } from './storage/open-storage.js';
import { readSpool, runtimeDir, spoolDir } from './storage/spool.js';
import type { Store } from './storage/store.js';
import { SyncHost } from './sync/sync-host.js';
import { WebhookHost, webhookTimings } from './webhooks/webhook-host.js';
import { createRequire } from 'node:module';

export { HardwareConfigError } from './drivers/wiring.js';

const { version: VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface DaemonOptions {
  config: Config;
  /** Where the configuration came from, for the console's settings page. */
  provenance?: ConfigProvenance;
  /** Start on an empty database even where one was lost (`keypadd run --new-database`). */
  newDatabase?: boolean;
  /** Run the simulated door. */
  sim: boolean;
  /** Make a demo person with a generated PIN on an empty database (never on real data: the CLI decides). */
  demo?: boolean;
  /** Where the demo PIN is shown; null when it must not be (stdout is the journal). */
  showDemoPin?: ((line: string) => void) | null;
  log: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export class Daemon {
  private lock?: InstanceLock;
  private port: GpioPort | null = null;
  private relays = new Map<number, ClaimedRelay>();
  private store?: Store;
  private writer?: EventWriter;
  private credentials?: CredentialLookup;
  private calendar?: CalendarLookup;
  private site?: SiteLockdownState;
  private storageMode: StorageMode = 'normal';
  private storageWatch?: StorageWatch;
  private mqtt?: MqttBridge;
  private api?: ApiHost;
  private sync?: SyncHost;
  private webhooks?: WebhookHost;
  private services: Services;
  private handler?: ControlHandler;
  readonly doors = new Map<number, BuiltDoor>();
  readonly bus: EventBus;
  private readonly clock: Clock;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: DaemonOptions) {
    const trust = opts.config.clock.trust ?? (opts.sim ? 'always' : 'timesyncd');
    this.clock = opts.clock ?? new SystemClock(trust, opts.config.clock.timesync_flag);
    this.bus = new EventBus((m) => opts.log.error(m));
    this.services = new Services(opts.log);
  }

  async start(): Promise<void> {
    const { config, log } = this.opts;
    const env = this.opts.env ?? process.env;
    this.lock = await InstanceLock.acquire(config.data_dir);
    this.port = this.opts.sim ? null : await openGpio(config);
    this.relays = await claimRelays(config, this.port, (m) => log.error(m));
    const runtime = runtimeDir(config.data_dir, config.storage.runtime_dir, env);
    const spool = spoolDir(runtime);
    const opened = openStorage(config, env, this.opts.newDatabase === true, log);
    const store = (this.store = opened.store);
    this.storageMode = opened.mode;
    if (this.clock instanceof SystemClock) this.clock.setFloor(new EventRepo(store.db).newestTrustedTimeMs());
    this.credentials = new CredentialLookup(store, () => toIsoSeconds(this.clock.wallMs()), log);
    // The newest lockout states: the database's, overlaid by any a dead daemon left in the spool.
    const saved = new Map<number, PersistedLockout>(new LockoutRepo(store.db).all());
    for (const [key, l] of readSpool(spool).lockouts) saved.set(key, l.state);
    const writer = (this.writer = new EventWriter(
      {
        dataDir: config.data_dir,
        spoolDir: spool,
        // A copy in memory (a full disk) is read-only here, but the writer keeps trying the real file: space may return.
        readonly: opened.mode === 'readonly',
        reserveBytes: reserveBytes(config),
        retention: {
          days: config.events.retention_days,
          outboxes: config.mqtt.url !== null ? [MQTT_OUTBOX] : [],
          // Every active webhook rule's cursor, whatever rules exist when the prune runs.
          outboxPrefixes: [WEBHOOK_OUTBOX_PREFIX],
        },
        busyAlarmMs: this.testMs('KEYPADD_TEST_STORAGE_BUSY_ALARM_MS'),
      },
      log.child('events'),
    ));
    // Lockdowns, unlock modes and shifts as they were when the daemon stopped (or the power went).
    const modes = new DoorModeRepo(store.db).all();
    this.calendar = new CalendarLookup(store);
    this.site = new SiteLockdownState(modes.get(SITE_KEY), writer, this.clock);
    const doors = await buildDoors({
      calendar: this.calendar,
      site: this.site,
      modes,
      config,
      port: this.port,
      relays: this.relays,
      clock: this.clock,
      events: writer,
      credentials: this.credentials,
      saved,
      log,
      changed: (doorId) => this.bus.emit('door.changed', { doorId }),
    });
    for (const [id, door] of doors) this.doors.set(id, door);
    log.info(`wiring: ${config.doors.map((d) => describeWiring(d, this.opts.sim)).join('; ')}`);
    await writer.start();
    writer.onRecorded((row) => this.bus.emit('event.recorded', row));
    if (!store.readonly) this.applyCalendar(store);
    if (this.opts.demo && !store.readonly) createDemoPerson({ store, config, now: Date.now }, this.opts.showDemoPin ?? null, log);
    await this.startServices(opened, runtime);
    if (opened.reason)
      log.error(
        `${opened.reason}: deciding ${opened.mode === 'snapshot' ? 'from a copy of the database in memory' : 'read-only'}; events and lockouts are kept in the spool (${spool}) until it is fixed`,
      );
    log.info(
      `running ${this.doors.size} door(s) on ${config.data_dir}${this.opts.sim ? ' (simulated door)' : ''}; clock trusted: ${this.clock.trusted()}`,
    );
  }

  /** The config file's shifts and holidays; a failure is logged and the doors run on what the database has. */
  private applyCalendar(store: Store): void {
    try {
      applyCalendarConfig({ store, config: this.opts.config, now: Date.now });
    } catch (err) {
      this.opts.log.error(`shifts and holidays from the config not applied: ${(err as Error).message}`);
    }
  }

  /** The services beside the doors, in order; each one's failure stays its own. */
  private async startServices(opened: ReturnType<typeof openStorage>, runtime: string): Promise<void> {
    const { config, log } = this.opts;
    const env = this.opts.env ?? process.env;
    const writer = this.writer!;
    const readonly = opened.mode !== 'normal';
    if (config.sync.url !== null && readonly) log.warn(`sync paused: ${opened.reason}`);
    else if (config.sync.url !== null)
      this.sync = new SyncHost(config, writer, log.child('sync'), () => this.bus.emit('sync.changed', undefined), this.retryBaseMs());
    const credentials = this.credentials!;
    const commands: CommandContext = {
      doors: new Map([...this.doors].map(([id, d]) => [id, d.controller])),
      sync: this.sync ?? null,
      site: this.site ?? null,
      personFacts: (personId) => credentials.personFacts(personId),
    };
    this.storageWatch = new StorageWatch({
      config,
      env,
      writer,
      clock: this.clock,
      bus: this.bus,
      log,
      opened,
      reopened: (store) => this.reopened(store),
    });
    // Webhooks drain the database: on a copy in memory or a read-only card they wait for the next start.
    if (!readonly)
      this.webhooks = new WebhookHost(
        { dataDir: config.data_dir, doors: config.doors.map((d) => ({ id: d.id, name: d.name })), version: VERSION, ...webhookTimings(env) },
        this.bus,
        writer,
        log.child('webhooks'),
        () => this.anyWebhookRule(),
      );
    const webhooks = () => {
      const w = this.webhooks?.summary();
      return w ? { rules: w.rules, retrying: w.retrying, failing: w.failing, backlog: w.backlog, parked: w.parked } : null;
    };
    this.mqtt = new MqttBridge({
      config,
      bus: this.bus,
      commands,
      events: writer,
      log,
      version: VERSION,
      clockTrusted: () => this.clock.trusted(),
      storageProblem: () => this.storageStatus().problem,
      env,
      sync: this.sync,
      webhooks,
      readonly,
    });
    // The console is served by the API's worker too (off the door's thread), so either one starts it.
    if (config.api.enabled || config.web.enabled) this.api = new ApiHost(config, commands, log.child('api'), writer, readonly, this.opts.provenance);
    this.handler = controlHandler({ status: () => this.status(), doors: this.doors, commands, sim: this.opts.sim });
    // On a read-only data dir the control socket goes to the runtime dir, where the CLI looks next.
    const control = new ControlServer(opened.mode === 'readonly' ? runtime : config.data_dir, (req) => this.request(req), log.child('control'));
    const all = [
      new EventLog(this.bus, log),
      new AnomalyWatch({
        anomalies: config.anomalies,
        zone: config.site.time_zone,
        doors: config.doors,
        db: () => this.store?.db,
        bus: this.bus,
        events: writer,
        log,
        nowMs: () => this.clock.wallMs(),
      }),
      this.storageWatch,
      this.mqtt,
      this.sync,
      this.webhooks,
      this.api,
      control,
      new ClockWatch(this.clock, writer, this.bus, log),
      new HelperThreads(),
      new PinExpiryWatch(config.doors, () => this.store?.db, writer, this.clock, log),
    ];
    for (const service of all) if (service) await this.services.start(service);
  }

  /** Locks every door, then stores what is left to store. Safe to call twice, and after a failed start. */
  async stop(): Promise<void> {
    this.lockAll();
    for (const { hw } of this.doors.values()) hw.close();
    await this.services.stopAll();
    // Last, so events made while stopping are stored (or spooled); what MQTT has not published goes at the next start.
    await this.writer?.stop();
    this.port?.close();
    this.port = null;
    this.store?.close();
    await this.lock?.release();
    this.doors.clear();
    this.relays.clear();
    this.lock = this.writer = this.mqtt = this.api = this.sync = this.webhooks = this.store = undefined;
  }

  /** Drives every relay locked at once, without waiting for anything: for stops and fatal errors. */
  lockAll(): void {
    for (const { controller } of this.doors.values()) controller.stop();
    // Relays claimed for doors that were never built (start failed on the way) are driven locked too.
    for (const { door, line } of this.relays.values()) lockRelay(door, line);
  }

  /** Answers a control-socket request. */
  async request(req: ControlRequest): Promise<ControlResponse> {
    return this.handler ? this.handler(req) : { ok: false, error: 'keypadd is still starting' };
  }

  onEvent(listener: Parameters<EventWriter['onRecorded']>[0]): void {
    this.bus.on('event.recorded', listener);
  }

  /** The real file opened again after deciding from a copy in memory. */
  private reopened(store: Store): void {
    this.credentials?.use(store);
    this.calendar?.use(store);
    this.store?.close();
    this.store = store;
    this.storageMode = 'normal';
  }

  /** Whether an active webhook rule exists: read on the main thread's connection, false when it cannot be read. */
  private anyWebhookRule(): boolean {
    try {
      return this.store !== undefined && new NotificationRuleRepo(this.store.db).anyActive();
    } catch {
      return false;
    }
  }

  /** Tests shorten sync's retry backoff; production keeps the default (1 s, doubling). */
  private retryBaseMs(): number | undefined {
    return this.testMs('KEYPADD_TEST_SYNC_RETRY_MS');
  }

  /** A positive time in ms from a KEYPADD_TEST_* variable, or undefined: production keeps the default. */
  private testMs(name: string): number | undefined {
    const v = Number((this.opts.env ?? process.env)[name]);
    return Number.isFinite(v) && v > 0 ? v : undefined;
  }

  /**
   * Storage trouble a restart might help, for the watchdog: events that neither the database nor the spool takes, or
   * lookups that fail. A full disk or a read-only card is not: the spool keeps the events, the door keeps deciding,
   * and a restart would change neither (status and the log say so instead).
   */
  storageTrouble(): { since: number; what: string } | null {
    const losing = this.writer?.storage.losingSince ?? null;
    if (losing !== null) return { since: losing, what: `events cannot be stored or spooled (${this.writer?.storage.lastError})` };
    const lookups = this.credentials?.failing;
    if (lookups) return { since: lookups.since, what: `credential lookups fail (${lookups.message})` };
    return null;
  }

  /** Storage as `status` shows it: the watchdog's trouble, or a database that refuses writes while the spool works. */
  private storageStatus() {
    const trouble = this.storageTrouble();
    const w = this.writer?.storage;
    const reason = this.storageWatch?.degraded ?? null;
    const degraded = reason
      ? {
          since: this.startedAt,
          what: `${reason}: deciding ${this.storageMode === 'snapshot' ? 'from a copy in memory' : 'read-only'}, events go to the spool`,
        }
      : null;
    const failing =
      trouble ?? (w?.failingSince ? { since: w.failingSince, what: `${w.reason}: events go to the spool until it is fixed` } : degraded);
    return {
      healthy: failing === null,
      problem: failing?.what ?? null,
      since: failing ? new Date(failing.since).toISOString() : null,
      read_only: this.storageMode !== 'normal',
      mode: this.storageMode,
      spooled: w?.spooled ?? 0,
      // Another connection holds the write lock (a sync's apply), not yet for long: events wait in the spool.
      busy_since: failing === null && w?.busySince ? new Date(w.busySince).toISOString() : null,
      last_error: w?.lastError ?? null,
    };
  }

  /** One line for systemd's STATUS= and `systemctl status`. */
  summary(): string {
    const s = this.status();
    const doors = s.doors.map((d) => `${d.name} ${d.relay}${d.lockout.active ? ' (keypad locked out)' : ''}`).join(', ');
    const mqtt = s.mqtt?.enabled ? `MQTT ${s.mqtt.connected ? 'up' : 'down'}, ${s.mqtt.backlog ?? 0} to publish` : 'MQTT off';
    const sync = s.sync ? `; sync ${s.sync.status}${s.sync.age_s !== null ? ` ${formatAge(s.sync.age_s)} ago` : ''}` : '';
    const storage = s.storage.healthy ? '' : `; STORAGE FAILING: ${s.storage.problem}`;
    const w = s.webhooks;
    const hooks = w && w.rules > 0 ? `; webhooks ${w.failing > 0 ? `${w.failing} FAILING` : w.retrying > 0 ? `${w.retrying} retrying` : 'ok'}` : '';
    return `${doors}; ${mqtt}; clock ${s.clock_trusted ? 'trusted' : 'NOT trusted'}${sync}${hooks}${storage}`;
  }

  status(): {
    version: string;
    sim: boolean;
    uptime_s: number;
    clock_trusted: boolean;
    clock_problem: string | null;
    event_backlog: number;
    storage: ReturnType<Daemon['storageStatus']>;
    mqtt: ReturnType<MqttBridge['status']> | null;
    api: { url: string | null; error: string | null } | null;
    sync: ReturnType<SyncHost['summary']> | null;
    webhooks: ReturnType<WebhookHost['summary']> | null;
    services_failed: Record<string, string>;
    doors: DoorStatus[];
  } {
    return {
      version: VERSION,
      sim: this.opts.sim,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      clock_trusted: this.clock.trusted(),
      clock_problem: this.clock instanceof SystemClock ? this.clock.untrustedReason() : null,
      event_backlog: this.writer?.backlog ?? 0,
      storage: this.storageStatus(),
      mqtt: this.mqtt?.status() ?? null,
      api: this.api ? { url: this.api.url, error: this.api.error } : null,
      sync: this.sync?.summary() ?? null,
      webhooks: this.webhooks?.summary() ?? null,
      services_failed: Object.fromEntries(this.services.failures),
      doors: [...this.doors.values()].map((d) => d.controller.status()),
    };
  }
}

function formatAge(s: number): string {
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

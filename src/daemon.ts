/**
 * The composition root of `keypadd run`. Start-up order is the door's safety order: the data-dir lock (one daemon
 * per data dir, before any hardware is touched), every relay claimed and driven locked, then storage, the doors, the
 * event writer, MQTT, the API, sync and the control socket. Every failure on the way, and every stop, drives the
 * relays locked first.
 */
import { createCredential } from './admin/credentials.js';
import { addPerson } from './admin/people.js';
import { doorPinRules } from './config/policy.js';
import { lockoutPolicy } from './config/lockout-schema.js';
import type { Config } from './config/schema.js';
import { InstanceLock } from './control/instance-lock.js';
import { ControlServer } from './control/server.js';
import type { ControlRequest, ControlResponse } from './control/protocol.js';
import { handleSim } from './control/sim-handlers.js';
import { parseCardNumber } from './core/card-number.js';
import { DOOR_EVENT_CODES } from './core/event-codes.js';
import { toIsoSeconds } from './core/site-time.js';
import { DoorController, type DoorStatus } from './door/door-controller.js';
import { SystemClock, type Clock } from './drivers/clock.js';
import type { DoorHardware } from './drivers/door-hardware.js';
import type { GpioPort } from './drivers/gpio/port.js';
import { SimDoorHardware } from './drivers/sim/sim-door.js';
import { claimRelays, lockRelay, openGpio, type ClaimedRelay } from './drivers/wiring.js';
import type { Logger } from './log.js';
import { AccessRepo } from './storage/access-repo.js';
import { newEventId } from './storage/event-id.js';
import type { EventRow } from './storage/event-repo.js';
import { EventWriter } from './storage/event-writer.js';
import { LockoutRepo, readerKey } from './storage/lockout-repo.js';
import { PeopleRepo } from './storage/people-repo.js';
import { openStore, type Store } from './storage/store.js';
import { openStorage, reserveBytes, type StorageMode } from './storage/open-storage.js';
import { readSpool, runtimeDir, spoolDir } from './storage/spool.js';
import type { PersistedLockout } from './core/lockout.js';
import { MqttBridge } from './mqtt/bridge.js';
import { ApiHost } from './api/api-host.js';
import { SyncHost } from './sync/sync-host.js';
import { lowerHelperThreads } from './worker-threads.js';
import { createRequire } from 'node:module';

export { HardwareConfigError } from './drivers/wiring.js';

const { version: VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface DaemonOptions {
  config: Config;
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
  private store?: Store;
  private writer?: EventWriter;
  private control?: ControlServer;
  private mqtt?: MqttBridge;
  private api?: ApiHost;
  private sync?: SyncHost;
  private helpers?: NodeJS.Timeout;
  private clockWatch?: NodeJS.Timeout;
  private port: GpioPort | null = null;
  private relays = new Map<number, ClaimedRelay>();
  private lookupFailing: { since: number; message: string } | null = null;
  private clockAlarm: string | null = null;
  private pruneTimer?: NodeJS.Timeout;
  private readonlyReason: string | null = null;
  private storageMode: StorageMode = 'normal';
  private access?: AccessRepo;
  private reopenTimer?: NodeJS.Timeout;
  private lastPruneAlarm = -Infinity;
  readonly doors = new Map<number, { controller: DoorController; hw: DoorHardware }>();
  private readonly clock: Clock;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: DaemonOptions) {
    const trust = opts.config.clock.trust ?? (opts.sim ? 'always' : 'timesyncd');
    this.clock = opts.clock ?? new SystemClock(trust, opts.config.clock.timesync_flag);
  }

  async start(): Promise<void> {
    const { config, log } = this.opts;
    this.lock = await InstanceLock.acquire(config.data_dir);
    this.port = this.opts.sim ? null : await openGpio(config);
    this.relays = await claimRelays(config, this.port, (m) => log.error(m));
    const env = this.opts.env ?? process.env;
    const runtime = runtimeDir(config.data_dir, config.storage.runtime_dir, env);
    const spool = spoolDir(runtime);
    const opened = openStorage(config, env, this.opts.newDatabase === true, log);
    const store = opened.store;
    this.store = store;
    this.storageMode = opened.mode;
    this.readonlyReason = opened.reason;
    if (this.clock instanceof SystemClock) this.clock.setFloor(newestTrustedEventMs(store));
    this.access = new AccessRepo(store.db);
    // The newest lockout states: the database's, overlaid by any a dead daemon left in the spool.
    const saved = new Map<number, PersistedLockout>(new LockoutRepo(store.db).all());
    for (const [key, l] of readSpool(spool).lockouts) saved.set(key, l.state);
    const writer = new EventWriter(
      {
        dataDir: config.data_dir,
        spoolDir: spool,
        // A snapshot (a full disk) is read-only here, but the writer keeps trying the real file: space may come back.
        readonly: opened.mode === 'readonly',
        reserveBytes: reserveBytes(config),
        retention: { days: config.events.retention_days, onlyPublished: config.mqtt.url !== null },
      },
      log.child('events'),
    );
    this.writer = writer;
    const { GpioDoorHardware } = this.port === null ? { GpioDoorHardware: null } : await import('./drivers/gpio-door.js');
    for (const door of config.doors) {
      const relay = this.relays.get(door.id)!.line;
      const hw = this.port === null || GpioDoorHardware === null ? new SimDoorHardware(relay as SimDoorHardware['relay']) : new GpioDoorHardware(this.port, door, door.hardware!, relay);
      const rules = doorPinRules(config, door);
      const controller = new DoorController({
        door,
        hw,
        clock: this.clock,
        zone: config.site.time_zone,
        pinPolicy: { min: rules.min_length, max: rules.max_length, rejectWeak: rules.weak_pins === 'reject' },
        lockoutPolicy: lockoutPolicy(config.lockout),
        cardPolicy: config.lockout.cards.enabled ? lockoutPolicy(config.lockout.cards) : null,
        lookup: (kind, value) => {
          const canonical = kind === 'Card' ? parseCardNumber(value) : null;
          if (canonical && !canonical.ok) return null;
          return this.access!.lookup(kind, store.digest(canonical ? canonical.number : value), toIsoSeconds(this.clock.wallMs()));
        },
        events: writer,
        log: log.child(`door${door.id}`),
        resumedLockout: saved.get(door.id),
        resumedCardBackoff: saved.get(readerKey(door.id)),
        onLookup: (err) => this.lookupResult(err),
        onStateChange: () => this.mqtt?.relayChanged(door.id),
      });
      controller.start();
      this.doors.set(door.id, { controller, hw });
    }
    log.info(`wiring: ${config.doors.map((d) => describeWiring(d, this.opts.sim)).join('; ')}`);
    await writer.start();
    writer.onRecorded((row) => logEvent(log, row));
    this.watchStorage(writer, opened.reserveFreed);
    if (opened.mode === 'snapshot') this.reopenWhenPossible();
    if (this.opts.demo && !store.readonly) this.createDemoPerson(store);
    if (config.sync.url !== null && store.readonly) log.warn(`sync paused: ${this.readonlyReason}`);
    else if (config.sync.url !== null) this.sync = new SyncHost(config, writer, log.child('sync'), () => this.mqtt?.publishStatus(), this.retryBaseMs());
    this.mqtt = new MqttBridge({
      config,
      doors: new Map([...this.doors].map(([id, d]) => [id, d.controller])),
      events: writer,
      log,
      version: VERSION,
      clockTrusted: () => this.clock.trusted(),
      storageProblem: () => this.storageStatus().problem,
      env: this.opts.env ?? process.env,
      sync: this.sync,
      readonly: store.readonly,
    });
    writer.onRecorded((row) => this.mqtt?.recorded(row));
    this.mqtt.start();
    this.sync?.start();
    if (config.api.enabled) {
      this.api = new ApiHost(config, new Map([...this.doors].map(([id, d]) => [id, d.controller])), log.child('api'), writer, store.readonly);
      this.api.start();
    }
    // On a read-only data dir the control socket goes to the runtime dir, where the CLI looks next.
    this.control = new ControlServer(opened.mode === 'readonly' ? runtime : config.data_dir, (req) => this.request(req), log.child('control'));
    await this.control.start();
    this.schedulePrune(writer);
    this.watchClock();
    this.clockWatch = setInterval(() => this.watchClock(), 5000);
    this.clockWatch.unref();
    // Background threads (V8's helpers, libuv's pool, the workers) yield the CPU to the input path at once; again now
    // and then, for threads started since (a restarted worker, libuv's pool on first use).
    lowerHelperThreads();
    this.helpers = setInterval(() => lowerHelperThreads(), 30_000);
    this.helpers.unref();
    if (this.readonlyReason) log.error(`${this.readonlyReason}: deciding ${opened.mode === 'snapshot' ? 'from a copy of the database in memory' : 'read-only'}; events and lockouts are kept in the spool (${spool}) until it is fixed`);
    log.info(`running ${this.doors.size} door(s) on ${config.data_dir}${this.opts.sim ? ' (simulated door)' : ''}; clock trusted: ${this.clock.trusted()}`);
  }

  /** Locks every door, then stores what is left to store. Safe to call twice, and after a failed start. */
  async stop(): Promise<void> {
    this.lockAll();
    clearInterval(this.helpers);
    clearInterval(this.clockWatch);
    clearTimeout(this.pruneTimer);
    clearTimeout(this.reopenTimer);
    for (const { hw } of this.doors.values()) hw.close();
    await this.control?.stop();
    await this.api?.stop();
    await this.sync?.stop();
    await this.writer?.stop();
    // Last, so events stored at shutdown are in the outbox; what is not published now goes at the next start.
    await this.mqtt?.stop();
    this.port?.close();
    this.port = null;
    this.store?.close();
    await this.lock?.release();
    this.doors.clear();
    this.relays.clear();
    this.lock = undefined;
    this.control = undefined;
    this.writer = undefined;
    this.mqtt = undefined;
    this.api = undefined;
    this.sync = undefined;
    this.store = undefined;
  }

  /** Drives every relay locked at once, without waiting for anything: for stops and fatal errors. */
  lockAll(): void {
    for (const { controller } of this.doors.values()) controller.stop();
    // Relays claimed for doors that were never built (start failed on the way) are driven locked too.
    for (const { door, line } of this.relays.values()) lockRelay(door, line);
  }

  /** Tests shorten sync's retry backoff; production keeps the default (1 s, doubling). */
  private retryBaseMs(): number | undefined {
    const v = Number((this.opts.env ?? process.env).KEYPADD_TEST_SYNC_RETRY_MS);
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
    if (this.lookupFailing) return { since: this.lookupFailing.since, what: `credential lookups fail (${this.lookupFailing.message})` };
    return null;
  }

  /** Storage as `status` shows it: the watchdog's trouble, or a database that refuses writes while the spool works. */
  private storageStatus(): {
    healthy: boolean;
    problem: string | null;
    since: string | null;
    read_only: boolean;
    mode: StorageMode;
    spooled: number;
    last_error: string | null;
  } {
    const trouble = this.storageTrouble();
    const w = this.writer?.storage;
    const degraded = this.readonlyReason ? { since: this.startedAt, what: `${this.readonlyReason}: deciding ${this.storageMode === 'snapshot' ? 'from a copy in memory' : 'read-only'}, events go to the spool` } : null;
    const failing = trouble ?? (w?.failingSince ? { since: w.failingSince, what: `${w.reason}: events go to the spool until it is fixed` } : degraded);
    return {
      healthy: failing === null,
      problem: failing?.what ?? null,
      since: failing ? new Date(failing.since).toISOString() : null,
      read_only: this.storageMode !== 'normal',
      mode: this.storageMode,
      spooled: w?.spooled ?? 0,
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
    return `${doors}; ${mqtt}; clock ${s.clock_trusted ? 'trusted' : 'NOT trusted'}${sync}${storage}`;
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
        return { ok: true, result: this.status().doors.map((d) => ({ door: d.id, name: d.name, ...d.lockout, card_backoff: d.card_backoff })) };
      case 'lockout_reset': {
        const door = this.doors.get(Number(req.door));
        if (!door) return { ok: false, error: `door: no door ${String(req.door)}` };
        door.controller.resetLockout(req.source);
        return { ok: true, result: door.controller.status().lockout };
      }
      default:
        if (!this.opts.sim) return { ok: false, error: 'this keypadd is not running the simulated door (start it with --sim)' };
        return handleSim(req, this.doors);
    }
  }

  /** A failing lookup is one log line per episode (not a stack per key press), and marks the daemon unhealthy. */
  private lookupResult(err: Error | null): void {
    const log = this.opts.log;
    if (err === null) {
      if (this.lookupFailing) log.warn(`credential lookups work again (they failed for ${Math.round((Date.now() - this.lookupFailing.since) / 1000)} s)`);
      this.lookupFailing = null;
      return;
    }
    if (this.lookupFailing) return;
    const code = (err as { code?: string }).code;
    this.lookupFailing = { since: Date.now(), message: `${err.message}${code ? ` (${code})` : ''}` };
    log.error(`credential lookup failed: ${this.lookupFailing.message}; every credential is refused (storage_error) until the database answers`);
  }

  /** Alarm events for storage trouble: the reserve freed on a full disk, the spool taking over, a prune held back. */
  private watchStorage(writer: EventWriter, reserveFreedAtStart: number): void {
    const alarm = (type: 'disk_full' | 'events_spooled' | 'events_prune_limited', label: string, detail: Record<string, unknown>) => {
      const now = Date.now();
      writer.record({ door_id: null, event_type: type, event_code: DOOR_EVENT_CODES[type], event_label: label, detail, time_trusted: this.clock.trusted(), uid: newEventId(now), created_at: toIsoSeconds(now) });
    };
    const freed = (bytes: number) => alarm('disk_full', `The disk is full: freed the ${Math.round(bytes / 1024)} KiB reserve so that events can be stored; free some space`, { reserve_bytes: bytes });
    if (reserveFreedAtStart > 0) freed(reserveFreedAtStart);
    writer.reserveReleased = freed;
    writer.onStorage((s) => {
      if (s.failingSince !== null) alarm('events_spooled', `Events cannot be stored (${s.reason}): they are kept in the spool until they can`, { reason: s.reason });
      this.mqtt?.publishStatus();
    });
    if (this.readonlyReason) alarm('events_spooled', `Events cannot be stored (${this.readonlyReason}): they are kept in the spool until they can`, { reason: this.readonlyReason });
    writer.pruneLimited = (due, pruned) => {
      if (Date.now() - this.lastPruneAlarm < 86_400_000) return;
      this.lastPruneAlarm = Date.now();
      alarm('events_prune_limited', `${due} events are past the retention period, more than one run may prune (${pruned} pruned): check the clock, or the retention change`, { due, pruned });
    };
  }

  /**
   * Deciding from a copy in memory (a full disk): every 5 s, try the real file again, and decide from it once it
   * opens, so admin changes are seen again without a restart.
   */
  private reopenWhenPossible(): void {
    const { config, log } = this.opts;
    this.reopenTimer = setTimeout(() => {
      try {
        const store = openStore(config.data_dir, this.opts.env ?? process.env, config.pin_key_file, { alreadyChecked: true });
        this.access = new AccessRepo(store.db);
        this.store?.close();
        this.store = store;
        this.storageMode = 'normal';
        this.readonlyReason = null;
        log.warn('the database opens again: deciding from it, no longer from the copy in memory');
      } catch {
        this.reopenWhenPossible();
      }
    }, 5000);
    this.reopenTimer.unref();
  }

  /** Retention pruning, 10 s after start and then hourly, only while the clock is trusted (tests shorten both). */
  private schedulePrune(writer: EventWriter): void {
    const test = Number((this.opts.env ?? process.env).KEYPADD_TEST_PRUNE_MS);
    const every = Number.isFinite(test) && test > 0 ? test : 3_600_000;
    const run = (delayMs: number) => {
      this.pruneTimer = setTimeout(() => {
        if (this.clock.trusted()) writer.prune(this.clock.wallMs());
        run(every);
      }, delayMs);
      this.pruneTimer.unref();
    };
    run(Math.min(10_000, every));
  }

  /** A clock below its floor is an alarm, once per episode: time-limited access is refused until it is set. */
  private watchClock(): void {
    const reason = this.clock instanceof SystemClock ? this.clock.untrustedReason() : null;
    const belowFloor = reason !== null && reason.includes('earlier than') ? reason : null;
    if (belowFloor === this.clockAlarm) return;
    this.clockAlarm = belowFloor;
    if (belowFloor === null) return;
    this.opts.log.warn(`clock not trusted: ${belowFloor}`);
    const now = Date.now();
    this.writer?.record({
      door_id: null,
      event_type: 'clock_untrusted',
      event_code: DOOR_EVENT_CODES.clock_untrusted,
      event_label: `Clock not trusted: ${belowFloor}; time-limited access is refused until the clock is set`,
      time_trusted: false,
      uid: newEventId(now),
      created_at: toIsoSeconds(now),
    });
  }

  /** On a fresh demo data dir, someone to let in: a demo person with a generated PIN, shown once (never logged). */
  private createDemoPerson(store: Store): void {
    const ctx = { store, config: this.opts.config, now: Date.now };
    if (new PeopleRepo(store.db).count() > 0) return;
    const p = addPerson(ctx, { first_name: 'Demo', last_name: 'Person' });
    const show = this.opts.showDemoPin;
    if (!show) {
      this.opts.log.info(`demo person ${p.id} created without a PIN (it would be shown in the journal): add one with keypadd pin add --person ${p.id}`);
      return;
    }
    const { credential } = createCredential(ctx, { person_id: p.id, credential_type_id: 6 });
    show(`Demo person ${p.id} (Demo Person) created with PIN ${credential.value}: type it, then #.`);
  }
}

/** The newest time an event was stored with a trusted clock: the clock's floor (a later clock never reads less). */
function newestTrustedEventMs(store: Store): number {
  const row = store.db.prepare(`SELECT max(created_at) AS t FROM events WHERE time_trusted = 1`).get() as { t: string | null };
  return row.t === null ? -Infinity : Date.parse(row.t);
}

/** ESPHome's dump_config: how each door is wired, in one line, for the installer reading the journal. */
function describeWiring(d: Config['doors'][number], sim: boolean): string {
  const h = d.hardware;
  if (sim || !h) return `door ${d.id} (${d.name}) simulated`;
  const parts = [`relay BCM ${h.relay.pin}${h.relay.active_low ? ' active-low' : ''}${d.fail_safe ? ' fail-safe' : ''}`];
  if (h.wiegand) parts.push(`Wiegand D0 ${h.wiegand.d0} D1 ${h.wiegand.d1}`);
  if (h.serial) parts.push(`serial ${h.serial.path} (${h.serial.protocol})`);
  for (const [name, line] of [['contact', h.contact], ['REX', h.rex], ['tamper', h.tamper], ['LED', h.led], ['buzzer', h.buzzer]] as const) {
    if (line) parts.push(`${name} BCM ${line.pin}`);
  }
  return `door ${d.id} (${d.name}) ${parts.join(', ')}`;
}

function formatAge(s: number): string {
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

const ALARMS = new Set(['door_forced_open', 'door_held_open', 'keypad_locked_out', 'keypad_alarm', 'card_reader_locked_out', 'card_alarm', 'relay_forced_lock', 'tamper', 'outbox_backlog_alarm', 'clock_untrusted', 'sync_stale', 'sync_delete_refused', 'sync_token_rejected']);

/** One line per stored event; alarms at warning, so `journalctl -p warning` lists them. */
function logEvent(log: Logger, e: EventRow): void {
  const who = e.person_name ? ` ${e.person_name}` : '';
  const line = `event #${e.id} door ${e.door_id} seq ${e.door_seq}: ${e.event_type}${e.reason ? ` (${e.reason})` : ''}${who}`;
  if (ALARMS.has(e.event_type)) log.warn(line);
  else log.info(line);
}

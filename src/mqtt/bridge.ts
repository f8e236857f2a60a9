/**
 * Connects the running doors to the MQTT publisher: door state on every relay change and stored event, remote
 * commands executed on the doors (each one an event naming its source), and the outbox backlog alarm.
 */
import type { Config } from '../config/schema.js';
import type { DoorController } from '../door/door-controller.js';
import type { Logger } from '../log.js';
import type { EventRow } from '../storage/event-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import { connectionSettings, MqttSettingsError } from './connection.js';
import type { Command } from './commands.js';
import type { RefusalSummary } from './command-gate.js';
import type { CommandResult, DoorState, StatusExtras } from './protocol.js';
import { MqttPublisher } from './publisher.js';
import { DOOR_EVENT_CODES } from '../core/event-codes.js';
import { newEventId } from '../storage/event-id.js';
import { toIsoSeconds } from '../core/site-time.js';

export interface BridgeDeps {
  config: Config;
  doors: Map<number, DoorController>;
  events: EventSink;
  log: Logger;
  version: string;
  clockTrusted: () => boolean;
  /** Storage in trouble, plainly, for the status topic; null when healthy. */
  storageProblem?: () => string | null;
  env: NodeJS.ProcessEnv;
  /** The data dir is read-only (the publisher keeps its cursor in memory). */
  readonly?: boolean;
  /** The credential sync, when configured: its health for the status topic, and a pull on sync_now. */
  sync?: { summary(): StatusExtras['sync'] & {}; run(): Promise<unknown> } | undefined;
}

/** Retained state is published again at least this often (a forged one the broker kept is overwritten). */
const STATE_REFRESH_MS = 60_000;

/** Tests shorten some periods through KEYPADD_TEST_ variables; production keeps the defaults. */
function testOverride(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

export class MqttBridge {
  private readonly lastEvent = new Map<number, EventRow>();
  private readonly lastAccess = new Map<number, EventRow>();
  private publisher: MqttPublisher | null = null;
  private refresh: NodeJS.Timeout | undefined;
  /** Why MQTT is not running although configured (an unreadable CA or password file), for status. */
  error: string | null = null;

  constructor(private readonly d: BridgeDeps) {}

  start(): void {
    const m = this.d.config.mqtt;
    let settings;
    try {
      settings = connectionSettings(this.d.config, this.d.env);
    } catch (err) {
      // The door must keep working: run without MQTT and say why.
      if (!(err instanceof MqttSettingsError)) throw err;
      this.error = err.message;
      this.d.log.error(`MQTT disabled: ${err.message}`);
      return;
    }
    if (!settings) return;
    this.publisher = new MqttPublisher(
      {
        dataDir: this.d.config.data_dir,
        settings,
        baseTopic: m.base_topic,
        nodeId: m.node_id,
        doors: this.d.config.doors.map((x) => ({ id: x.id, name: x.name })),
        homeassistant: m.homeassistant,
        commands: m.commands,
        commandAuth: settings.commandKey ? { key: settings.commandKey, maxAgeMs: m.command_max_age_s * 1000 } : null,
        stateRefreshMs: testOverride(this.d.env.KEYPADD_TEST_STATE_REFRESH_MS) ?? STATE_REFRESH_MS,
        discoveryPrefix: m.discovery_prefix,
        backlogAlarm: this.d.config.events.backlog_alarm,
        version: this.d.version,
        readonly: this.d.readonly === true,
      },
      this.d.log.child('mqtt'),
      (door, command) => this.command(door, command),
      (backlog) => this.backlogAlarm(backlog),
      (summary) => this.refused(summary),
    );
    this.publisher.start();
    // Clock trust at once, not in 2 s: a signed command's time is checked only on a trusted clock.
    this.publishStatus();
    for (const id of this.d.doors.keys()) this.publishState(id);
    this.refresh = setInterval(() => {
      for (const id of this.d.doors.keys()) this.publishState(id);
      this.publishStatus();
    }, 2000);
    this.refresh.unref();
  }

  /** Republishes clock trust and sync health (also called when a pull ends). */
  publishStatus(): void {
    const sync = this.d.sync?.summary() ?? null;
    this.publisher?.status({ clock_trusted: this.d.clockTrusted(), storage_problem: this.d.storageProblem?.() ?? null, last_sync: sync?.last_success_at ?? null, sync });
  }

  get enabled(): boolean {
    return this.publisher !== null;
  }

  status(): { enabled: boolean; connected: boolean; backlog: number | null; error: string | null } {
    return { enabled: this.enabled, connected: this.publisher?.connected ?? false, backlog: this.publisher?.backlog ?? null, error: this.error };
  }

  /** A stored event: publish it (the worker reads it from the database) and refresh its door's state. */
  recorded(row: EventRow): void {
    if (!this.publisher) return;
    this.publisher.wake();
    if (row.door_id === null) return;
    this.lastEvent.set(row.door_id, row);
    if (row.event_type === 'access_granted' || row.event_type === 'access_denied') this.lastAccess.set(row.door_id, row);
    this.publishState(row.door_id);
  }

  relayChanged(doorId: number): void {
    this.publishState(doorId);
  }

  async stop(): Promise<void> {
    clearInterval(this.refresh);
    await this.publisher?.stop();
    this.publisher = null;
  }

  private publishState(doorId: number): void {
    const door = this.d.doors.get(doorId);
    if (!this.publisher || !door) return;
    const s = door.status();
    const access = this.lastAccess.get(doorId);
    const state: DoorState = {
      lock: s.relay,
      door: s.door,
      lockout: { active: s.lockout.active, until: s.lockout.until },
      last_event_id: this.lastEvent.get(doorId)?.id ?? null,
      last_access: access
        ? { label: access.event_label, event_type: access.event_type, person_name: access.person_name, reason: access.reason, at: access.created_at }
        : null,
    };
    this.publisher.state(doorId, state);
  }

  /** A command that passed the worker's checks (door, signature, format, rate): executed here, on the doors' thread. */
  private command(doorId: number, command: Command): CommandResult {
    const door = this.d.doors.get(doorId);
    const name = command.command;
    const refuse = (why: string): CommandResult => {
      this.refused({ doorId, count: 1, reasons: { [why]: 1 }, commands: { [name]: 1 } });
      return { command: name, accepted: false, reason: why };
    };
    if (!door) return { command: name, accepted: false, reason: `door: no door ${doorId}` };
    if (!this.d.config.mqtt.commands) return refuse('commands are disabled (mqtt.commands: false)');
    switch (command.command) {
      case 'unlock':
        door.remoteUnlock('mqtt', command.durationMs);
        break;
      case 'lock':
        door.remoteLock('mqtt');
        break;
      case 'lockout_reset':
        door.resetLockout('mqtt');
        break;
      case 'sync_now':
        if (!this.d.sync) return refuse('sync is not configured on this controller');
        // The pull's outcome is its own event (sync_completed / sync_failed); the command is accepted now.
        void this.d.sync.run();
        break;
    }
    return { command: name, accepted: true };
  }

  /** One command_refused event for a door's refusals of the last second, with their count and reasons. */
  private refused(s: RefusalSummary): void {
    const door = this.d.config.doors.find((x) => x.id === s.doorId);
    if (!door) return;
    const [reason] = Object.entries(s.reasons).sort((a, b) => b[1] - a[1])[0] ?? ['refused'];
    const what = s.count === 1 ? 'a command' : `${s.count} commands`;
    this.d.log.warn(`door ${door.id}: ${what} from mqtt refused: ${Object.entries(s.reasons).map(([r, n]) => `${r} (${n})`).join('; ')}`);
    const now = Date.now();
    this.d.events.record({
      door_id: door.id,
      event_type: 'command_refused',
      event_code: DOOR_EVENT_CODES.command_refused,
      event_label: `${door.name}: ${what} from mqtt refused: ${reason}${Object.keys(s.reasons).length > 1 ? ' (and others)' : ''}`,
      source: 'mqtt',
      reason,
      detail: { count: s.count, reasons: s.reasons, commands: s.commands },
      time_trusted: this.d.clockTrusted(),
      uid: newEventId(now),
      created_at: toIsoSeconds(now),
    });
  }

  private backlogAlarm(backlog: number): void {
    const now = Date.now();
    this.d.log.error(`${backlog} events are waiting to be published (alarm at ${this.d.config.events.backlog_alarm}); none will be pruned`);
    this.d.events.record({
      door_id: null,
      event_type: 'outbox_backlog_alarm',
      event_code: DOOR_EVENT_CODES.outbox_backlog_alarm,
      event_label: `${backlog} events waiting to be published over MQTT`,
      detail: { backlog },
      uid: newEventId(now),
      created_at: toIsoSeconds(now),
    });
  }
}

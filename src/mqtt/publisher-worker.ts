/**
 * The MQTT publisher, on its own thread with its own database connection, so that replaying a backlog, building
 * JSON and saving the cursor never run on the main thread. It drains the event table in id order (so per-door
 * sequence order) at QoS 1, and moves the cursor only over events the broker has acknowledged. mqtt.js keeps
 * unsent messages in memory only (field notes §7); here the database is the queue, mqtt.js only the transport.
 */
import mqtt from 'mqtt';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../worker-threads.js';
import { eventView } from '../admin/events.js';
import { openDatabase, type Db } from '../storage/database.js';
import type { EventRow } from '../storage/event-repo.js';
import { OutboxRepo } from '../storage/outbox-repo.js';
import { parseCommand } from './commands.js';
import type { ConnectionSettings } from './connection.js';
import { discoveryMessages } from './discovery.js';
import type { DoorState, FromPublisher, ToPublisher, StatusExtras } from './protocol.js';
import { topics } from './topics.js';

export interface PublisherData {
  dataDir: string;
  settings: ConnectionSettings;
  baseTopic: string;
  nodeId: string;
  doors: { id: number; name: string }[];
  homeassistant: boolean;
  commands: boolean;
  discoveryPrefix: string;
  backlogAlarm: number;
  version: string;
  /** The data dir is read-only: the cursor is kept in memory (a restart repeats events, which QoS 1 allows). */
  readonly: boolean;
}


lowerThreadPriority(10);
const data = workerData as PublisherData;
const port = parentPort!;
const send = (m: FromPublisher) => port.postMessage(m);
const log = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => send({ type: 'log', level, message });

let db: Db | null = null;
let outbox: OutboxRepo | null = null;
let openFailed = false;

/**
 * Opens the outbox when it can: a disk too full for SQLite's -shm file (or a read-only card with none) lets the
 * daemon start from a copy in memory, and the publisher keeps the broker informed meanwhile and tries again.
 */
function openOutbox(): OutboxRepo | null {
  if (outbox) return outbox;
  try {
    db = openDatabase(data.dataDir, { alreadyChecked: true, readonly: data.readonly });
    // Losing the latest cursor save to a power cut only repeats events (allowed); it must not cost an fsync each time.
    if (!data.readonly) db.pragma('synchronous = NORMAL');
    outbox = new OutboxRepo(db);
    cursor = nextAfter = outbox.cursor();
    if (openFailed) log('warn', 'the outbox opens again: publishing the stored events');
    openFailed = false;
  } catch (err) {
    if (!openFailed) log('error', `cannot open the outbox (${(err as Error).message}); events are published once it opens`);
    openFailed = true;
  }
  return outbox;
}
const t = topics(data.baseTopic, data.nodeId);
const startedAt = Date.now();
const WINDOW = 256;

let cursor = 0;
let sent: number[] = [];
let acked = new Set<number>();
let nextAfter = cursor;
openOutbox();
let inflight = 0;
let generation = 0;
let connected = false;
let draining = false;
let drainQueued = false;
let cursorTimer: NodeJS.Timeout | undefined;
let reconnectMs = 1000;
let alarmed = false;
let status: StatusExtras = { clock_trusted: true, storage_problem: null, last_sync: null, sync: null };
const states = new Map<number, string>();
const publishedStates = new Map<number, string>();

const s = data.settings;
// workerData is a structured clone: Buffers arrive as plain Uint8Arrays, which mqtt-packet refuses as a password.
const buf = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b));
const client = mqtt.connect(s.url, {
  clientId: s.clientId,
  username: s.username,
  password: buf(s.password),
  ca: buf(s.ca),
  cert: buf(s.cert),
  key: buf(s.key),
  rejectUnauthorized: true,
  keepalive: s.keepaliveS,
  protocolVersion: 4,
  clean: true,
  reconnectPeriod: reconnectMs,
  // mqtt.js gives up after a refused login (CONNACK error) unless told otherwise; keypadd keeps trying.
  reconnectOnConnackError: true,
  connectTimeout: 10_000,
  queueQoSZero: false,
  will: { topic: t.availability, payload: Buffer.from('offline'), qos: 1, retain: true },
});

client.on('connect', () => {
  connected = true;
  reconnectMs = 1000;
  client.options.reconnectPeriod = reconnectMs;
  send({ type: 'connection', connected: true });
  log('info', `connected to ${s.url}; ${openOutbox()?.backlog(cursor) ?? 'unknown (outbox not open)'} events to publish`);
  client.publish(t.availability, 'online', { qos: 1, retain: true });
  client.subscribe([t.setWildcard, ...(data.homeassistant ? [`${data.discoveryPrefix}/status`] : [])], { qos: 1 });
  if (data.homeassistant) publishDiscovery();
  publishedStates.clear();
  for (const doorId of states.keys()) publishState(doorId);
  publishStatus();
  queueDrain();
});

client.on('close', () => {
  if (connected) log('warn', `disconnected from ${s.url}; events stay queued in the database`);
  connected = false;
  // Callbacks of this connection may never fire (mqttjs #1974): forget them and resend from the cursor.
  generation++;
  sent = [];
  acked = new Set();
  inflight = 0;
  nextAfter = cursor;
  send({ type: 'connection', connected: false });
  reconnectMs = Math.min(reconnectMs * 2, s.reconnectMaxMs);
  client.options.reconnectPeriod = Math.round(reconnectMs * (0.8 + Math.random() * 0.4));
});

client.on('error', (err: Error & { code?: number | string }) => {
  const why =
    err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135
      ? `the broker refused the login (${err.message}): check mqtt.username and the password file`
      : err.message;
  // One line per problem: OpenSSL's messages end with a newline.
  log('error', `MQTT ${s.url}: ${why.replace(/\s*\n\s*/g, ' ').trim()}; retrying`);
});

client.on('message', (topic, payload) => {
  if (topic === `${data.discoveryPrefix}/status`) {
    if (payload.toString() === 'online') publishDiscovery();
    return;
  }
  const doorId = t.doorOfSet(topic);
  if (doorId === null) return;
  if (!data.doors.some((d) => d.id === doorId)) {
    client.publish(t.setResult(doorId), JSON.stringify({ command: null, accepted: false, reason: `door: no door ${doorId}` }), { qos: 1 });
    return;
  }
  const parsed = parseCommand(payload);
  send(parsed.ok ? { type: 'command', doorId, command: parsed.value } : { type: 'command', doorId, command: null, reason: parsed.reason });
});

function queueDrain(): void {
  if (drainQueued) return;
  drainQueued = true;
  setImmediate(() => {
    drainQueued = false;
    drain();
  });
}

function drain(): void {
  if (!connected || draining) return;
  draining = true;
  try {
    while (connected && inflight < WINDOW) {
      const rows = openOutbox()?.after(nextAfter, WINDOW - inflight) ?? [];
      if (rows.length === 0) {
        // Caught up: say so at once (the backlog sensor should not show a stale count for 10 s).
        if (inflight === 0 && lastBacklog !== 0) publishStatus();
        break;
      }
      for (const row of rows) publishEvent(row);
    }
  } catch (err) {
    log('error', `reading the outbox failed: ${(err as Error).message}`);
  } finally {
    draining = false;
  }
}

function publishEvent(row: EventRow): void {
  const gen = generation;
  sent.push(row.id);
  nextAfter = row.id;
  inflight++;
  client.publish(t.event(row.door_id), JSON.stringify(eventView(data.doors, row)), { qos: 1 }, (err) => {
    if (gen !== generation) return;
    inflight--;
    if (err) {
      log('warn', `publishing event ${row.id} failed (${err.message}); it will be sent again`);
      return;
    }
    acked.add(row.id);
    let moved = false;
    while (sent.length > 0 && acked.has(sent[0]!)) {
      cursor = sent.shift()!;
      acked.delete(cursor);
      moved = true;
    }
    if (moved && !cursorTimer) cursorTimer = setTimeout(saveCursor, 100);
    queueDrain();
  });
}

function saveCursor(): void {
  cursorTimer = undefined;
  if (data.readonly) return;
  try {
    outbox?.setCursor(cursor);
  } catch (err) {
    log('error', `saving the outbox cursor failed: ${(err as Error).message}`);
  }
}

function publishState(doorId: number): void {
  const json = states.get(doorId);
  if (!connected || json === undefined || publishedStates.get(doorId) === json) return;
  publishedStates.set(doorId, json);
  client.publish(t.state(doorId), json, { qos: 1, retain: true });
}

let lastBacklog: number | null = null;

function publishStatus(): void {
  const backlog = outbox?.backlog(cursor) ?? 0;
  lastBacklog = backlog;
  const alarm = backlog > data.backlogAlarm && !alarmed;
  alarmed = backlog > data.backlogAlarm;
  send({ type: 'backlog', backlog, alarm });
  if (!connected) return;
  const body = { version: data.version, uptime_s: Math.round((Date.now() - startedAt) / 1000), outbox_backlog: backlog, ...status };
  client.publish(t.status, JSON.stringify(body), { qos: 1, retain: true });
}

function publishDiscovery(): void {
  const msgs = discoveryMessages({ prefix: data.discoveryPrefix, node: data.nodeId, version: data.version, doors: data.doors, topics: t, commands: data.commands });
  for (const m of msgs) client.publish(m.topic, m.payload === null ? '' : JSON.stringify(m.payload), { qos: 1, retain: true });
}

const poll = setInterval(queueDrain, 1000);
const statusTimer = setInterval(publishStatus, 10_000);

port.on('message', (m: ToPublisher) => {
  switch (m.type) {
    case 'wake':
      return queueDrain();
    case 'state':
      states.set(m.doorId, JSON.stringify(m.state satisfies DoorState));
      return publishState(m.doorId);
    case 'status': {
      // Sent every 2 s; published at once only when the sync's state moved (a pull ended), else every 10 s.
      const key = (x: StatusExtras) => JSON.stringify([x.clock_trusted, x.storage_problem, x.sync?.status, x.sync?.last_success_at, x.sync?.last_error]);
      const moved = key(m.status) !== key(status);
      status = m.status;
      if (moved && connected) publishStatus();
      return;
    }
    case 'command_result':
      if (connected) client.publish(t.setResult(m.doorId), JSON.stringify(m.result), { qos: 1 });
      return;
    case 'stop':
      return stop();
  }
});

function stop(): void {
  clearInterval(poll);
  clearInterval(statusTimer);
  clearTimeout(cursorTimer);
  saveCursor();
  const finish = () => {
    db?.close();
    send({ type: 'stopped' });
    port.close();
  };
  if (!connected) {
    client.end(true, {}, finish);
    return;
  }
  // A clean stop says offline itself; the last will covers every other way of dying.
  client.publish(t.availability, 'offline', { qos: 1, retain: true }, () => client.end(false, {}, finish));
}

/**
 * DoorFlow's channel operations, as its SDK calls them: list and get (the Channel schema), admit, admit_person,
 * unlock (with relock_at), normal, lockdown, unlockdown, auto_unlock, and the admission requests. Each command runs
 * on the daemon's main thread through the command table, so it means what it means over MQTT or the CLI, and is an
 * event naming the token. An admission is stored before it is asked for, and its outcome after, so
 * GET /admission_requests/{id} answers even after a restart (a request the door never answered reads "timeout").
 */
import { z } from 'zod';
import { Problems } from '../application/errors.js';
import { readTime } from '../application/times.js';
import type { DoorCommand } from '../commands/door-commands.js';
import type { Decision } from '../core/decision.js';
import { toIsoSeconds } from '../core/site-time.js';
import { AdmissionRepo, type AdmissionRow } from '../storage/admission-repo.js';
import { readSyncState } from '../storage/sync-state.js';
import { parseBody } from './bodies.js';
import { HttpError, httpError } from './http.js';
import type { CommandAnswer } from './protocol.js';
import type { Answer, RequestContext, Route } from './routes.js';

const ID = '(\\d{1,15})';
const r = (path: string) => new RegExp(`^/api/3/${path}/?$`);
const ok = (body: unknown): Answer => ({ status: 200, body });

/** An admission never answered by the door (a daemon stopped between the two writes) reads timeout after this. */
const TIMEOUT_MS = 120_000;

const lockdownBody = z.object({ card_lockdown: z.boolean().optional(), rex_lockdown: z.boolean().optional(), aux_lockdown: z.boolean().optional() });
const unlockBody = z.object({ relock_at: z.string().max(64).nullable().optional() });
const autoUnlockBody = z.object({ shift_id: z.int().min(1).nullable().optional() });
const admitPersonBody = z.object({ person_id: z.int().min(1) });

type DoorOnly<C> = C extends { door: number } ? Omit<C, 'door'> : never;

async function command(c: RequestContext, command: DoorOnly<Extract<DoorCommand, { door: number }>>): Promise<CommandAnswer> {
  return (await c.channels({
    op: 'command',
    id: c.params[0]!,
    command: { ...command, door: c.params[0]! } as Extract<DoorCommand, { door: number }>,
    source: `api:${c.tokenName}`,
  })) as CommandAnswer;
}

/** Stores the request, asks the door, stores the outcome; answers 202 {admission_request_id, status}. */
async function admission(c: RequestContext, personId: number | null): Promise<Answer> {
  const repo = new AdmissionRepo(c.admin.store.db);
  const channel = c.params[0]!;
  await c.channels({ op: 'get', id: channel }); // 404 for a door that does not exist, before anything is stored
  const id = repo.create(channel, personId, `api:${c.tokenName}`, toIsoSeconds(c.admin.now()));
  let status: 'admitted' | 'denied' = 'denied';
  let reason: string | null;
  try {
    const answer = await command(c, personId === null ? { op: 'admit' } : { op: 'admit_person', personId });
    const decision = (answer.result as { decision?: Decision } | null)?.decision;
    status = decision === undefined || decision.granted ? 'admitted' : 'denied';
    reason = decision && !decision.granted ? decision.reason : null;
  } catch (err) {
    // A refusal (locked down, no such person) is the request's outcome, kept with it; anything else is a failure.
    if (!(err instanceof HttpError) || err.status >= 500) throw err;
    reason = (err.body as { error_description?: string }).error_description ?? 'refused';
  }
  repo.complete(id, status, reason, toIsoSeconds(c.admin.now()));
  return { status: 202, body: { admission_request_id: id, status } };
}

function admissionView(c: RequestContext, row: AdmissionRow): Record<string, unknown> {
  const door = c.admin.config.doors.find((d) => d.id === row.channel_id);
  const person =
    row.person_id === null
      ? null
      : (c.admin.store.db.prepare(`SELECT id, first_name || ' ' || last_name AS name FROM people WHERE id = ?`).get(row.person_id) as
          { id: number; name: string } | undefined);
  const timedOut = row.status === 'pending' && c.admin.now() - Date.parse(row.requested_at) > TIMEOUT_MS;
  return {
    id: row.id,
    status: timedOut ? 'timeout' : row.status,
    channel_id: row.channel_id,
    person_id: row.person_id,
    requested_at: row.requested_at,
    completed_at: row.completed_at,
    reason: row.reason,
    door_controller: { id: row.channel_id, name: door?.name ?? null },
    person: person ?? null,
  };
}

/**
 * DoorFlow's channel `sync`: whether the controller has what the cloud holds. Here the doors decide from this
 * controller's own database, so it is "ok" unless a configured upstream pull is failing, syncing or never ran.
 */
function withSync(c: RequestContext, channel: Record<string, unknown>): Record<string, unknown> {
  if (c.admin.config.sync.url === null) return { ...channel, sync: { status: 'ok', last_sync_completed_at: null } };
  const s = readSyncState(c.admin.store.db);
  const status = ({ complete: 'ok', failing: 'fail', syncing: 'syncing', pending: 'pending' } as const)[s.status];
  return { ...channel, sync: { status, last_sync_completed_at: s.last_success_at } };
}

const channelOk = (c: RequestContext, a: CommandAnswer): Answer => ok(withSync(c, a.channel));

export const CHANNEL_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: r('channels'),
    scope: 'account.channel.readonly',
    handler: async (c) => ok(((await c.channels({ op: 'list' })) as Record<string, unknown>[]).map((ch) => withSync(c, ch))),
  },
  {
    method: 'GET',
    pattern: r(`channels/${ID}`),
    scope: 'account.channel.readonly',
    handler: async (c) => ok(withSync(c, (await c.channels({ op: 'get', id: c.params[0]! })) as Record<string, unknown>)),
  },
  { method: 'POST', pattern: r(`channels/${ID}/admit`), scope: 'account.channel.admit', handler: (c) => admission(c, null) },
  {
    method: 'POST',
    pattern: r(`channels/${ID}/admit_person`),
    scope: 'account.channel.admit.person',
    handler: async (c) => admission(c, parseBody(admitPersonBody, await c.body()).person_id),
  },
  {
    method: 'POST',
    pattern: r(`channels/${ID}/unlock`),
    scope: 'account.channel.admit',
    handler: async (c) => {
      const b = parseBody(unlockBody, await c.body());
      let relockAtMs: number | null = null;
      if (b.relock_at) {
        const p = new Problems();
        const t = readTime('relock_at', b.relock_at, c.admin.config.site.time_zone, p);
        p.throwIfAny();
        relockAtMs = t === null ? null : Date.parse(t);
      }
      return channelOk(c, await command(c, { op: 'hold_unlocked', relockAtMs }));
    },
  },
  {
    method: 'POST',
    pattern: r(`channels/${ID}/normal`),
    scope: 'account.channel.admit',
    handler: async (c) => channelOk(c, await command(c, { op: 'back_to_normal' })),
  },
  {
    method: 'POST',
    pattern: r(`channels/${ID}/lockdown`),
    scope: 'account.channel.admit',
    handler: async (c) => {
      const raw = await c.body();
      const b = parseBody(lockdownBody, raw);
      // DoorFlow's body is optional: without one, cards and PINs are locked down (its message says as much).
      const none = b.card_lockdown === undefined && b.rex_lockdown === undefined && b.aux_lockdown === undefined;
      const lockdown = { card: none || b.card_lockdown === true, rex: b.rex_lockdown === true, aux: b.aux_lockdown === true };
      return channelOk(c, await command(c, { op: 'lockdown', ...lockdown }));
    },
  },
  {
    method: 'POST',
    pattern: r(`channels/${ID}/unlockdown`),
    scope: 'account.channel.admit',
    handler: async (c) => channelOk(c, await command(c, { op: 'unlockdown' })),
  },
  {
    method: 'POST',
    pattern: r(`channels/${ID}/auto_unlock`),
    scope: 'account.channel.admit',
    handler: async (c) => channelOk(c, await command(c, { op: 'auto_unlock', shiftId: parseBody(autoUnlockBody, await c.body()).shift_id ?? null })),
  },
  {
    method: 'GET',
    pattern: r(`admission_requests/${ID}`),
    // Either admit scope may read the requests (DoorFlow lists both); checked here, as a route names only one.
    scope: null,
    handler: (c) => {
      if (!c.scopes.some((s) => s === 'account.channel.admit' || s === 'account.channel.admit.person'))
        throw httpError(403, 'forbidden', 'this token lacks the account.channel.admit or account.channel.admit.person scope');
      const row = new AdmissionRepo(c.admin.store.db).get(c.params[0]!);
      if (!row) throw httpError(404, 'not_found', `no admission request ${c.params[0]}`);
      return ok(admissionView(c, row));
    },
  },
];

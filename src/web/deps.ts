/** What the console needs from the worker that hosts it (the API's), and how its routes are declared. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../application/context.js';
import type { ConfigProvenance } from '../config/origins.js';
import type { DoorCommand } from '../commands/door-commands.js';
import type { NewEvent } from '../storage/event-repo.js';
import type { Need } from './auth.js';
import type { Html } from './html.js';
import type { Viewer } from './layout.js';
import type { FeedHub } from './feed.js';
import type { EnrolmentsWaiting } from './enrolments-waiting.js';

/** A door as the API's channels show it. */
export interface DoorView {
  id: number;
  name: string;
  /** DoorFlow's channel (door/door-views.ts channelView): the daemon answers for its doors, so a listed door is online. */
  status: 'online' | 'offline';
  mode: { description: 'unlock' | 'normal'; relock_at: string | null };
  lockdown: { message: string; rex_lockdown: { state: boolean } } | null;
  auto_unlock: { id: number; name: string } | null;
  auto_unlock_state: string | null;
  credential_mode: string;
  relay: 'locked' | 'unlocked';
  door: 'open' | 'closed' | 'unknown';
  lockout: { active: boolean; until: string | null; failures_last_hour: number } | null;
}

export type DoorCall =
  | { op: 'list' }
  | { op: 'command'; command: Extract<DoorCommand, { door: number }>; source: string }
  /** A pull from the upstream now (answered at once: started, or why not). */
  | { op: 'sync'; source: string };

/** One line of `keypadd doctor --json`. */
export interface DoctorCheck {
  name: string;
  verdict: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export interface WebDeps {
  /** The worker's store; throws a 503 HttpError while it cannot be opened. */
  storage(): { admin: AdminContext };
  /** Door status and commands, answered on the main thread (through the command table). */
  doors(call: DoorCall): Promise<unknown>;
  /** Hands an event to the daemon's writer. */
  record(event: NewEvent): void;
  log(level: 'error' | 'warn' | 'info', message: string): void;
  tls: boolean;
  /** Why the console is reachable beyond this machine over plain HTTP (shown as a warning), or null. */
  exposure: string | null;
  sessionHours: number;
  /** The live feed's streams. */
  feed: FeedHub;
  /** Enrolments by tap waiting for a card (pages-enrol). */
  enrolments: EnrolmentsWaiting;
  /** Where the running configuration came from (the settings page). */
  provenance: ConfigProvenance;
  /** Runs `keypadd doctor` (a child process, off the daemon) and answers its checks. */
  doctor(): Promise<DoctorCheck[]>;
}

/** A page or action: what it needs of the viewer, and what it answers (HTML, or a reply it sent itself). */
export interface WebRoute {
  method: 'GET' | 'POST';
  url: string;
  need: Need;
  handler: (c: WebContext) => Html | Promise<Html | FastifyReply> | FastifyReply;
}

export interface WebContext {
  deps: WebDeps;
  admin: AdminContext;
  viewer: Viewer;
  request: FastifyRequest;
  reply: FastifyReply;
  /** The form's fields (POST), or {}. */
  form: Record<string, string>;
  query: URLSearchParams;
  /** Who the viewer is in events and audit rows: `console:<name>`. */
  source: string;
}

/**
 * The one table of event types keypadd records. Everything that lists event types derives from it: the DoorFlow codes
 * (10-18 admit, 20-29 reject, 30 REX, 31-37 door state and alarms, 40-42 auto-unlock, 50-63 remote control, 90-91
 * tamper), the titles an admin reads, which are alarms (logged at warning), and which happen at a door (Home
 * Assistant's event entity lists those). A type added here is known everywhere at once.
 */
export interface EventTypeInfo {
  /** The DoorFlow event code; access decisions take theirs from the credential and the reason (event-codes.ts). */
  code: number | 'by_decision';
  /** Whether it happens at a door (door_id set) or at the controller (door_id null). */
  scope: 'door' | 'controller';
  /** A few words for people: the console, the README's tables. */
  title: string;
  /** An alarm: logged at warning, so `journalctl -p warning` lists them. */
  alarm?: true;
  /** Someone was let through or refused at the door (a PIN, a card, an exit button, a remote unlock): "last access". */
  access?: true;
}

export const EVENT_TYPES = {
  access_granted: { code: 'by_decision', scope: 'door', title: 'Access granted', access: true },
  access_denied: { code: 'by_decision', scope: 'door', title: 'Access denied', access: true },
  rex: { code: 30, scope: 'door', title: 'Request to exit', access: true },
  door_opened: { code: 31, scope: 'door', title: 'Door opened' },
  door_closed: { code: 32, scope: 'door', title: 'Door closed' },
  door_held_open: { code: 33, scope: 'door', title: 'Door held open', alarm: true },
  door_forced_open: { code: 34, scope: 'door', title: 'Door forced open', alarm: true },
  keypad_locked_out: { code: 35, scope: 'door', title: 'Keypad locked out', alarm: true },
  keypad_alarm: { code: 36, scope: 'door', title: 'Wrong PINs alarm', alarm: true },
  relay_forced_lock: { code: 37, scope: 'door', title: 'Relay forced locked', alarm: true },
  lockout_reset: { code: 38, scope: 'door', title: 'Lockout reset' },
  // A REX press refused by a REX lockdown (DoorFlow records a lockdown refusal as 22, a decision code; REX has none).
  rex_refused: { code: 39, scope: 'door', title: 'Request to exit refused (lockdown)', alarm: true },
  // DoorFlow's auto-unlock shift codes: the shift unlocked the door, relocked it, or waits for the first person in.
  auto_unlock_started: { code: 40, scope: 'door', title: 'Auto-unlock started' },
  auto_unlock_ended: { code: 41, scope: 'door', title: 'Auto-unlock ended' },
  auto_unlock_waiting: { code: 42, scope: 'door', title: 'Auto-unlock waiting for the first person in' },
  remote_unlock: { code: 50, scope: 'door', title: 'Unlocked remotely', access: true },
  remote_lock: { code: 51, scope: 'door', title: 'Locked remotely' },
  command_refused: { code: 52, scope: 'door', title: 'Command refused' },
  remote_hold_unlocked: { code: 53, scope: 'door', title: 'Held unlocked', access: true },
  remote_normal: { code: 54, scope: 'door', title: 'Back to normal' },
  lockdown_started: { code: 55, scope: 'door', title: 'Lockdown started', alarm: true },
  lockdown_ended: { code: 56, scope: 'door', title: 'Lockdown ended' },
  unlock_period_ended: { code: 57, scope: 'door', title: 'Unlock period ended (relock_at)' },
  auto_unlock_set: { code: 58, scope: 'door', title: 'Auto-unlock shift set' },
  // An unknown card tapped during an enrolment given to the person (keypadd's own: DoorFlow enrols at its server).
  card_enrolled: { code: 59, scope: 'door', title: 'Card enrolled by tap' },
  outbox_backlog_alarm: { code: 60, scope: 'controller', title: 'MQTT backlog alarm', alarm: true },
  clock_untrusted: { code: 61, scope: 'controller', title: 'Clock not trusted', alarm: true },
  pin_values_removed: { code: 62, scope: 'controller', title: 'Readable PINs removed' },
  disk_full: { code: 63, scope: 'controller', title: 'Disk full', alarm: true },
  events_spooled: { code: 64, scope: 'controller', title: 'Events kept in the spool', alarm: true },
  events_prune_limited: { code: 65, scope: 'controller', title: 'Pruning held back', alarm: true },
  // Webhooks (notification rules): an event the endpoint refused for good, an endpoint failing for a day, and back.
  webhook_parked: { code: 66, scope: 'controller', title: 'Webhook event parked', alarm: true },
  webhook_failing: { code: 67, scope: 'controller', title: 'Webhook failing', alarm: true },
  webhook_recovered: { code: 68, scope: 'controller', title: 'Webhook recovered' },
  // Credential sync from the upstream API (DoorFlow has no codes for a controller's own sync).
  sync_completed: { code: 70, scope: 'controller', title: 'Sync completed' },
  sync_failed: { code: 71, scope: 'controller', title: 'Sync failed' },
  sync_token_rejected: { code: 72, scope: 'controller', title: 'Upstream token rejected', alarm: true },
  sync_delete_refused: { code: 73, scope: 'controller', title: 'Sync deletion refused', alarm: true },
  sync_stale: { code: 74, scope: 'controller', title: 'Sync stale', alarm: true },
  sync_credential_clash: { code: 75, scope: 'controller', title: 'Credential clash' },
  // The API's own alarms: a token refused a PIN that is in use (which tells it the PIN exists), and too many of those.
  api_pin_in_use: { code: 80, scope: 'controller', title: 'PIN in use refused' },
  api_pin_probe_alarm: { code: 81, scope: 'controller', title: 'PIN probing alarm', alarm: true },
  // The console's: too many wrong passwords for one user name or from one address locked its logins for a while.
  console_login_locked: { code: 82, scope: 'controller', title: 'Console logins locked', alarm: true },
  // Visitor invites by email (the PIN is in the mail only, never in these).
  visitor_invited: { code: 83, scope: 'controller', title: 'Visitor invited by email' },
  invite_failed: { code: 84, scope: 'controller', title: 'Visitor invite not sent', alarm: true },
  // Credential expiry (issue 20): disabled for going unused (credential expire-unused), and a PIN nearing max_pin_age_days.
  credential_expired: { code: 85, scope: 'controller', title: 'Unused credential disabled' },
  pin_expiring: { code: 86, scope: 'controller', title: 'PIN expiring soon' },
  // A spreadsheet of people imported (`keypadd person import`): counts only, never a name or a PIN.
  people_imported: { code: 88, scope: 'controller', title: 'People imported' },
  // A suspicious pattern among access events (core/anomaly-rules.ts): the decision stands, this only tells.
  access_anomaly: { code: 87, scope: 'door', title: 'Suspicious access', alarm: true },
  // DoorFlow's 90-91 are tamper events; the reader's own health follows them.
  tamper: { code: 90, scope: 'door', title: 'Tamper', alarm: true },
  tamper_cleared: { code: 91, scope: 'door', title: 'Tamper cleared' },
  reader_offline: { code: 92, scope: 'door', title: 'Reader offline', alarm: true },
  reader_online: { code: 93, scope: 'door', title: 'Reader online' },
  read_error: { code: 94, scope: 'door', title: 'Read error' },
  card_reader_locked_out: { code: 95, scope: 'door', title: 'Card reader backed off', alarm: true },
  card_alarm: { code: 96, scope: 'door', title: 'Unknown cards alarm', alarm: true },
  // A PIN typed in its duress form (core/duress.ts): the door behaves as for a grant, and only this event tells.
  duress: { code: 97, scope: 'door', title: 'Duress', alarm: true },
} as const satisfies Record<string, EventTypeInfo>;

export type EventType = keyof typeof EVENT_TYPES;

/** Every event type but the access decisions, whose codes depend on the credential and the reason. */
export type DoorEventType = { [K in EventType]: (typeof EVENT_TYPES)[K]['code'] extends number ? K : never }[EventType];

const entries = Object.entries(EVENT_TYPES) as [EventType, EventTypeInfo][];

/** DoorFlow codes of the types with a fixed one. */
export const DOOR_EVENT_CODES = Object.fromEntries(entries.filter(([, i]) => typeof i.code === 'number').map(([t, i]) => [t, i.code])) as Record<
  DoorEventType,
  number
>;

/** The types that are alarms. */
export const ALARM_EVENT_TYPES: ReadonlySet<EventType> = new Set(entries.filter(([, i]) => i.alarm).map(([t]) => t));

/** The types that happen at a door, in table order (Home Assistant's event entity of each door lists them). */
export const DOOR_SCOPED_EVENT_TYPES: readonly EventType[] = entries.filter(([, i]) => i.scope === 'door').map(([t]) => t);

/** The types that count as an access at a door (Home Assistant's last-access sensor, the retained state's last_access). */
export const ACCESS_EVENT_TYPES: readonly EventType[] = entries.filter(([, i]) => i.access).map(([t]) => t);

export const isEventType = (t: string): t is EventType => Object.hasOwn(EVENT_TYPES, t);

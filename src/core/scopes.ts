/** DoorFlow's OAuth scopes, as API tokens carry them. A write scope includes its read-only twin. */
export const SCOPES = [
  'account.person',
  'account.person.readonly',
  'account.reservation',
  'account.reservation.readonly',
  'account.event.access.readonly',
  'account.channel.readonly',
  'account.channel.admit',
  'account.channel.admit.person',
  'account.notification_rule',
  'account.notification_rule.readonly',
  'account.site.readonly',
  'account.group',
  'account.group.readonly',
  'account.group_reservation',
  'account.group_reservation.readonly',
  'account.sync',
] as const;
export type Scope = (typeof SCOPES)[number];

export function hasScope(granted: readonly string[], needed: Scope): boolean {
  if (granted.includes(needed)) return true;
  // account.person grants account.person.readonly, and so on.
  return needed.endsWith('.readonly') && granted.includes(needed.slice(0, -'.readonly'.length));
}

/** Console roles, and the API scopes each one holds (a console user's page works as a token of these scopes would). */
export const CONSOLE_ROLES = ['admin', 'operator', 'viewer'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

const READ: Scope[] = ['account.person.readonly', 'account.reservation.readonly', 'account.event.access.readonly', 'account.channel.readonly'];

/**
 * viewer: reads everything the API reads; operator: people, credentials, visitors and doors; admin: all of that and
 * what no token can do (tokens, console users, settings), which `isAdmin` guards.
 */
export const ROLE_SCOPES: Record<ConsoleRole, readonly Scope[]> = {
  viewer: READ,
  operator: [...READ, 'account.person', 'account.reservation', 'account.channel.admit', 'account.channel.admit.person'],
  admin: SCOPES,
};

export const isConsoleRole = (role: string): role is ConsoleRole => (CONSOLE_ROLES as readonly string[]).includes(role);

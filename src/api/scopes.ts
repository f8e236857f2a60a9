/** DoorFlow's OAuth scopes, as API tokens carry them. A write scope includes its read-only twin. */
export const SCOPES = [
  'account.person',
  'account.person.readonly',
  'account.reservation',
  'account.reservation.readonly',
  'account.event.access.readonly',
  'account.channel.readonly',
  'account.channel.admit',
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

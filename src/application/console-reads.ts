/** What the console reads beyond the API's lists: the people search and the live feed's events, as the API shows them. */
import { parseCardNumber } from '../core/card-number.js';
import { countPeopleMatching, eventsAfter, lastEventId, searchPeople } from '../storage/console-queries.js';
import { ConsoleRepo, type AuditRow } from '../storage/console-repo.js';
import { nowIso, type AdminContext } from './context.js';
import { eventView, type EventView } from './events.js';
import { personView, type PersonView } from './people.js';

export function findPeople(ctx: AdminContext, term: string, page: number, perPage: number): { people: PersonView[]; total: number } {
  const card = parseCardNumber(term.trim());
  const cardDigest = card.ok ? ctx.store.digest(card.number) : null;
  const rows = searchPeople(ctx.store.db, { term, cardDigest, limit: perPage, offset: (page - 1) * perPage });
  return { people: rows.map((r) => personView(ctx, r)), total: countPeopleMatching(ctx.store.db, term, cardDigest) };
}

export const feedAfter = (ctx: AdminContext, afterId: number, limit = 100): EventView[] =>
  eventsAfter(ctx.store.db, afterId, limit).map((e) => eventView(ctx.config.doors, e));

export const newestEventId = (ctx: AdminContext): number => lastEventId(ctx.store.db);

/** An audit row naming the console user who did `action`. */
export function audit(ctx: AdminContext, user: string, action: string, target: string | null, detail: Record<string, unknown> | null = null): void {
  new ConsoleRepo(ctx.store.db).audit(user, action, target, detail, nowIso(ctx));
}

export const recentAudit = (ctx: AdminContext, limit = 50): AuditRow[] => new ConsoleRepo(ctx.store.db).auditRows(limit);

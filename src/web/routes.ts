/** Every page and action of the console, in menu order; a new page is a new table appended here. */
import type { WebRoute } from './deps.js';
import { BACKUP_ROUTES } from './pages-backup.js';
import { DOOR_ROUTES } from './pages-doors.js';
import { EVENT_ROUTES } from './pages-events.js';
import { PEOPLE_ROUTES } from './pages-people.js';
import { ROLE_ROUTES } from './pages-roles.js';
import { SETTINGS_ROUTES } from './pages-settings.js';
import { SYNC_ROUTES } from './pages-sync.js';
import { TOKEN_ROUTES } from './pages-tokens.js';
import { VISITOR_ROUTES } from './pages-visitors.js';

export const WEB_ROUTES: readonly WebRoute[] = [
  ...DOOR_ROUTES,
  ...PEOPLE_ROUTES,
  ...VISITOR_ROUTES,
  ...EVENT_ROUTES,
  ...ROLE_ROUTES,
  ...SYNC_ROUTES,
  ...TOKEN_ROUTES,
  ...BACKUP_ROUTES,
  ...SETTINGS_ROUTES,
];

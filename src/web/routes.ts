/** Every page and action of the console, in menu order; a new page is a new table appended here. */
import type { WebRoute } from './deps.js';
import { DOOR_ROUTES } from './pages-doors.js';

export const WEB_ROUTES: readonly WebRoute[] = [...DOOR_ROUTES];

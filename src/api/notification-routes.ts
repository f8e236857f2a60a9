/**
 * DoorFlow's notification rules (webhooks here): list, create, get, replace, delete. Creation answers with the
 * rule's signing secret, once; delivery is the webhook service's (src/webhooks).
 */
import {
  addNotificationRule,
  deleteNotificationRule,
  getNotificationRule,
  listNotificationRules,
  updateNotificationRule,
} from '../application/notification-rules.js';
import { z } from 'zod';
import { parseBody } from './bodies.js';
import type { Route } from './routes.js';

const ID = '(\\d{1,15})';
const r = (path: string) => new RegExp(`^/api/3/${path}/?$`);

const ruleBody = z.object({
  name: z.string().max(200).optional(),
  active: z.boolean().optional(),
  call_back_url: z.string().max(2000).optional(),
  match_event_codes: z.array(z.int().min(0).max(999)).max(200).optional(),
  match_controller_ids: z.array(z.int().min(1)).max(200).optional(),
  allow_insecure_http: z.boolean().optional(),
  payload_format: z.string().max(20).optional(),
});

export const NOTIFICATION_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: r('notification_rules'),
    scope: 'account.notification_rule.readonly',
    handler: (c) => ({ status: 200, body: listNotificationRules(c.admin) }),
  },
  {
    method: 'POST',
    pattern: r('notification_rules'),
    scope: 'account.notification_rule',
    handler: async (c) => {
      const rule = addNotificationRule(c.admin, parseBody(ruleBody, await c.body(), 'notification_rule'));
      c.log('info', `notification rule ${rule.id} "${rule.name}" made by token "${c.tokenName}"`);
      // DoorFlow answers a creation with 200.
      return { status: 200, body: rule };
    },
  },
  {
    method: 'GET',
    pattern: r(`notification_rules/${ID}`),
    scope: 'account.notification_rule.readonly',
    handler: (c) => ({ status: 200, body: getNotificationRule(c.admin, c.params[0]!) }),
  },
  {
    method: 'PUT',
    pattern: r(`notification_rules/${ID}`),
    scope: 'account.notification_rule',
    handler: async (c) => ({
      status: 200,
      body: updateNotificationRule(c.admin, c.params[0]!, parseBody(ruleBody, await c.body(), 'notification_rule')),
    }),
  },
  {
    method: 'DELETE',
    pattern: r(`notification_rules/${ID}`),
    scope: 'account.notification_rule',
    handler: (c) => ({ status: 200, body: deleteNotificationRule(c.admin, c.params[0]!) }),
  },
];

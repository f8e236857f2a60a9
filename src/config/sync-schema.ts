/** The schema of `sync`: where the upstream is, how often to pull, and how its ids map onto this controller's doors. */
import { z } from 'zod';
import { parseSlot } from '../core/schedule.js';

const id = () =>
  z
    .int()
    .min(1)
    .max(2 ** 31 - 1);
const ids = () => z.array(id()).default([]);

const doorMapping = z.strictObject({
  door: id().describe('Local door id.'),
  channel_ids: ids().describe('Upstream channel ids that are this door: reservations naming them give access here.'),
  role_ids: ids().describe('Upstream role ids that give standing access to this door.'),
  group_ids: ids().describe('Upstream group ids whose members have standing access to this door (24/7).'),
});

const shift = z.strictObject({
  id: id().describe("Upstream shift id (a role's shift_id)."),
  slots: z
    .array(z.string().refine((s) => parseSlot(s).ok, { error: (i) => `"${String(i.input)}": not a slot like "mon-fri 07:00-19:00"` }))
    .min(1)
    .describe('Weekly slots in the site time zone, as `role add --slot` takes them.'),
});

export const syncSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http:// or https:// URL')
      .nullable()
      .default(null)
      .describe('Upstream DoorFlow-compatible API base (https://api.doorflow.com, or another keypadd: http://host:8425). Null: sync off.'),
    token_file: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'File holding the upstream bearer token, for the CLI ($CREDENTIALS_DIRECTORY/upstream-token wins under systemd). Never put the token in this file.',
      ),
    interval_s: z.int().min(10).max(86_400).default(300).describe('Seconds between pulls (a failed pull is retried sooner, backing off up to this).'),
    full_every_h: z
      .number()
      .positive()
      .max(720)
      .default(24)
      .describe('Hours between full reconciles; pulls in between ask only for people changed since (since_utc).'),
    max_delete_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('A pull that would remove more than this share of the synced people or credentials (and at least 10) is refused with an alarm.'),
    max_age_h: z.number().positive().max(720).default(24).describe('Hours without a successful pull that raise sync_stale.'),
    timeout_s: z.number().min(1).max(300).default(30).describe('Time allowed for each upstream request.'),
    per_page: z.int().min(1).max(1000).default(500).describe('Records asked for per page.'),
    doors: z.array(doorMapping).default([]).describe('Which upstream channels, roles and groups give access to which local door.'),
    shifts: z
      .array(shift)
      .default([])
      .describe('Weekly slots of upstream shifts. A role whose shift is not listed here gives no access (it is not widened to 24/7).'),
  })
  .prefault({})
  .describe('Pulling people, credentials, reservations and roles from an upstream DoorFlow-compatible API.');

export type SyncConfig = z.output<typeof syncSchema>;

/**
 * The one configuration schema: every key with its default and a description. `keypadd config describe` prints it,
 * the environment overrides are derived from it, and the daemon refuses to run on any violation.
 */
import { z } from 'zod';
import { isValidTimeZone, systemTimeZone } from '../core/site-time.js';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../core/pin-rules.js';

const pinLength = () => z.int().min(PIN_MIN_DIGITS).max(PIN_MAX_DIGITS);
const weakPins = () => z.enum(['warn', 'reject']);

const sitePinPolicy = z
  .strictObject({
    min_length: pinLength().default(4).describe('Shortest PIN accepted, in digits (4-8).'),
    max_length: pinLength().default(8).describe('Longest PIN accepted, in digits (4-8).'),
    generated_length: pinLength()
      .default(6)
      .describe('Length of a generated PIN when the request ("******") does not fit min/max length.'),
    weak_pins: weakPins()
      .default('warn')
      .describe('What to do with a weak custom PIN (1234, 0000, years, common PINs): warn, or reject it.'),
    storage: z
      .enum(['digest', 'plaintext'])
      .default('digest')
      .describe(
        'How PINs are kept at rest: digest (HMAC-SHA256 under the key file; the PIN is shown once, at creation) ' +
          'or plaintext (listed as DoorFlow lists them). Site-wide: a PIN is one value at every door.',
      ),
  })
  .prefault({})
  .describe('The site PIN policy; a door may override the length and weak-PIN rules.');

// A PIN is one value across the site, so a door can narrow what it accepts but not how PINs are stored.
const doorPinPolicy = z
  .strictObject({
    min_length: pinLength().optional().describe('Shortest PIN this door accepts.'),
    max_length: pinLength().optional().describe('Longest PIN this door accepts.'),
    generated_length: pinLength()
      .optional()
      .describe('Length this door wants for generated PINs; a generated PIN takes the longest of the site and its doors.'),
    weak_pins: weakPins().optional().describe('Whether this door warns about or rejects weak custom PINs.'),
  })
  .describe('Overrides of the site PIN policy for this door.');

const door = z.strictObject({
  id: z.int().min(1).describe('Door number, used as the DoorFlow channel id (a positive integer).'),
  name: z.string().trim().min(1).max(64).describe('Door name shown in events ("Front Door").'),
  pin_policy: doorPinPolicy.optional(),
});

export const configSchema = z
  .strictObject({
    site: z
      .strictObject({
        name: z.string().trim().min(1).default('keypadd').describe('Site (account) name.'),
        time_zone: z
          .string()
          .default(systemTimeZone)
          .refine(isValidTimeZone, 'not a known IANA time zone name (for example Europe/London)')
          .describe("IANA time zone for schedules and local times (default: the system's)."),
      })
      .prefault({})
      .describe('The site this controller serves.'),
    data_dir: z
      .string()
      .min(1)
      .default('/var/lib/keypadd')
      .describe('Where the database and its PIN key file live (also --data-dir, KEYPADD_DATA_DIR).'),
    pin_policy: sitePinPolicy,
    doors: z
      .array(door)
      .min(1, 'at least one door is needed')
      .default([{ id: 1, name: 'Front Door' }])
      .describe('The doors this controller drives (default: one door 1 named "Front Door").'),
  })
  .superRefine((c, ctx) => {
    checkLengths(c.pin_policy, ['pin_policy'], ctx);
    const seen = new Set<number>();
    c.doors.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'id'], message: `door id ${d.id} is used twice` });
      seen.add(d.id);
      if (d.pin_policy) checkLengths({ ...c.pin_policy, ...d.pin_policy }, ['doors', i, 'pin_policy'], ctx);
    });
  });

function checkLengths(
  p: { min_length: number; max_length: number; generated_length: number },
  path: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  if (p.min_length > p.max_length) {
    ctx.addIssue({ code: 'custom', path: [...path, 'min_length'], message: `must not exceed max_length (${p.max_length})` });
  } else if (p.generated_length < p.min_length || p.generated_length > p.max_length) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'generated_length'],
      message: `must be within min_length and max_length (${p.min_length}-${p.max_length})`,
    });
  }
}

export type Config = z.output<typeof configSchema>;
export type DoorConfig = Config['doors'][number];
export type SitePinPolicy = Config['pin_policy'];

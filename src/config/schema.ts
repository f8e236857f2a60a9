/**
 * The one configuration schema: every key with its default and a description. `keypadd config describe` prints it,
 * the environment overrides are derived from it, and the daemon refuses to run on any violation.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { isValidTimeZone, systemTimeZone } from '../core/site-time.js';
import { controlText, door, noControl, pinLength, seconds, weakPins, wiredLines } from './door-schema.js';
import { emailSchema } from './email-schema.js';
import { syncSchema } from './sync-schema.js';
import { topicPrefixProblem } from '../core/topic-rules.js';
import { lockoutSchema } from './lockout-schema.js';
import { anomaliesSchema } from './anomaly-schema.js';
import { holidaysSchema, shiftsSchema } from './calendar-schema.js';

/** The hostname, cut to what a topic level may safely hold. */
const defaultNodeId = () => hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'keypadd';

const sitePinPolicy = z
  .strictObject({
    min_length: pinLength().default(4).describe('Shortest PIN accepted, in digits (4-8).'),
    max_length: pinLength().default(8).describe('Longest PIN accepted, in digits (4-8).'),
    generated_length: pinLength().default(6).describe('Length of a generated PIN when the request ("******") does not fit min/max length.'),
    weak_pins: weakPins().default('warn').describe('What to do with a weak custom PIN (1234, 0000, years, common PINs): warn, or reject it.'),
    custom: z
      .enum(['allow', 'refuse'])
      .default('allow')
      .describe('Whether an admin may choose a PIN (allow), or every PIN is generated (refuse), wherever a PIN is made (CLI, API).'),
    storage: z
      .enum(['digest', 'plaintext'])
      .default('digest')
      .describe(
        'How PINs are kept at rest: digest (HMAC-SHA256 under the key file; the PIN is shown once, at creation) ' +
          'or plaintext (listed as DoorFlow lists them). Site-wide: a PIN is one value at every door.',
      ),
    duress: z
      .enum(['off', 'last_digit_plus_one'])
      .default('off')
      .describe(
        'A duress entry: last_digit_plus_one lets a person type their PIN with the last digit one higher (9 becomes 0); ' +
          'the door opens as usual and a duress alarm event goes out. Someone else’s real PIN always counts as theirs.',
      ),
  })
  .prefault({})
  .describe('The site PIN policy; a door may override the length and weak-PIN rules.');

/**
 * Home Assistant: `true`/`false` as before, or `{ enabled, require_code }`. With require_code every MQTT unlock must
 * carry the PIN of a person with access to that door now (HA asks for it): HA users alone cannot open the door.
 */
const homeAssistant = z
  .union(
    [
      z.boolean().transform((enabled) => ({ enabled, require_code: false })),
      z.strictObject({
        enabled: z.boolean().default(true).describe('Publish Home Assistant discovery.'),
        require_code: z
          .boolean()
          .default(false)
          .describe(
            'Every MQTT unlock must carry the PIN of a person with access to that door now (HA asks for it); a wrong one counts as a wrong PIN.',
          ),
      }),
    ],
    { error: 'must be true, false or { enabled: true, require_code: true }' },
  )
  .default({ enabled: false, require_code: false })
  .describe('Home Assistant discovery: true, or { enabled: true, require_code: true } to ask for a PIN at each unlock.');

export const configSchema = z
  .strictObject({
    site: z
      .strictObject({
        name: z.string().trim().min(1).refine(noControl, controlText).default('keypadd').describe('Site (account) name.'),
        time_zone: z
          .string()
          .default(systemTimeZone)
          .refine(isValidTimeZone, 'not a known IANA time zone name (for example Europe/London)')
          .describe("IANA time zone for schedules and local times (default: the system's)."),
      })
      .prefault({})
      .describe('The site this controller serves.'),
    pin_key_file: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'The PIN key when not run by systemd (the CLI): install.sh points it at /etc/keypadd/credentials/pin-key. Default: beside the database.',
      ),
    data_dir: z
      .string()
      .min(1)
      .default('/var/lib/keypadd')
      .describe('Where the database and its PIN key file live (also --data-dir, KEYPADD_DATA_DIR).'),
    pin_policy: sitePinPolicy,
    access: z
      .strictObject({
        default_role: z
          .string()
          .min(1)
          .nullable()
          .default('Everyone')
          .describe('Role given to new people who are not visitors (null: none). "Everyone" is built in: all doors, 24/7.'),
      })
      .prefault({})
      .describe('Who gets standing access.'),
    lockout: lockoutSchema,
    anomalies: anomaliesSchema,
    clock: z
      .strictObject({
        trust: z
          .enum(['timesyncd', 'rtc', 'always'])
          .optional()
          .describe(
            'When schedules and reservations are honoured: timesyncd (after the first NTP sync since boot), rtc (an RTC is ' +
              'fitted), always. Default: timesyncd, or always with --sim.',
          ),
        timesync_flag: z
          .string()
          .default('/run/systemd/timesync/synchronized')
          .describe('File systemd-timesyncd creates after its first sync since boot.'),
      })
      .prefault({})
      .describe('Trust in the wall clock.'),
    mqtt: z
      .strictObject({
        url: z
          .string()
          .regex(/^mqtts?:\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL')
          .nullable()
          .default(null)
          .describe('Broker URL (mqtt://host:1883 or mqtts://host:8883). Null: MQTT off, events stay local.'),
        base_topic: z
          .string()
          .refine((v) => topicPrefixProblem(v) === null, { error: (i) => topicPrefixProblem(String(i.input))! })
          .default('keypadd')
          .describe('First level of every keypadd topic.'),
        node_id: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
          .default(defaultNodeId)
          .describe("This controller's name in topics (default: the hostname)."),
        username: z.string().min(1).nullable().default(null).describe('Broker user name.'),
        password_file: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('File holding the broker password (else $CREDENTIALS_DIRECTORY/mqtt-password). Never put the password in this file.'),
        ca_file: z.string().min(1).nullable().default(null).describe('CA certificate (PEM) that signed the broker certificate, for mqtts://.'),
        cert_file: z.string().min(1).nullable().default(null).describe('Client certificate (PEM), for brokers that require one.'),
        key_file: z.string().min(1).nullable().default(null).describe('Client private key (PEM).'),
        keepalive_s: z.int().min(5).max(3600).default(30).describe('MQTT keepalive.'),
        reconnect_max_s: seconds(1, 3600).default(30).describe('Longest wait between reconnect attempts (backoff doubles from 1 s, with jitter).'),
        commands: z
          .boolean()
          .default(false)
          .describe('Accept commands on <base>/<node>/<door>/set (unlock, lock, lockout_reset, sync_now); off: not even subscribed.'),
        command_auth: z
          .enum(['none', 'hmac'])
          .default('none')
          .describe(
            'hmac: obey only commands signed with HMAC-SHA256 under the command key, with a fresh ts; none: the broker ACL alone decides who commands.',
          ),
        command_key_file: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('File holding the shared command key (else $CREDENTIALS_DIRECTORY/mqtt-command-key); at least 16 bytes.'),
        command_max_age_s: z
          .int()
          .min(1)
          .max(300)
          .default(30)
          .describe("Largest difference between a signed command's ts and this controller's clock."),
        homeassistant: homeAssistant,
        discovery_prefix: z
          .string()
          .refine((v) => topicPrefixProblem(v) === null, { error: (i) => topicPrefixProblem(String(i.input))! })
          .default('homeassistant')
          .describe('Home Assistant discovery prefix.'),
      })
      .prefault({})
      .describe('Publishing events over MQTT.'),
    api: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Serve the DoorFlow-compatible HTTP API.'),
        listen: z
          .string()
          .regex(/^([^:\s]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8425')
          // Port 0 lets the kernel pick a free one (the start log names it).
          .refine((v) => Number(/:(\d+)$/.exec(v)?.[1]) <= 65_535, 'the port must be 0-65535')
          .default('127.0.0.1:8425')
          .describe('Address and port; 0.0.0.0:8425 for the LAN (use TLS then).'),
        cert_file: z.string().min(1).nullable().default(null).describe('TLS certificate (PEM): serve https.'),
        key_file: z.string().min(1).nullable().default(null).describe('TLS private key (PEM).'),
      })
      .prefault({})
      .describe('The local management API.'),
    web: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Serve the admin console (web pages) from the API worker.'),
        listen: z
          .string()
          .regex(/^([^:\s]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:8080')
          .refine((v) => Number(/:(\d+)$/.exec(v)?.[1]) <= 65_535, 'the port must be 0-65535')
          .default('127.0.0.1:8080')
          .describe('Address and port of the console; 0.0.0.0:8080 for the LAN (use TLS then).'),
        tls: z
          .strictObject({
            cert_file: z.string().min(1).nullable().default(null).describe('TLS certificate (PEM): serve the console over https.'),
            key_file: z.string().min(1).nullable().default(null).describe('TLS private key (PEM).'),
          })
          .prefault({})
          .describe('https for the console (its session cookie is then Secure).'),
        session_hours: z.int().min(1).max(720).default(12).describe('A console login lasts this long, then asks again.'),
      })
      .prefault({})
      .describe('The admin console.'),
    events: z
      .strictObject({
        retention_days: z
          .int()
          .min(1)
          .max(3650)
          .default(90)
          .describe('Published events older than this are pruned (with MQTT off: all events older).'),
        backlog_alarm: z
          .int()
          .min(1)
          .max(100_000_000)
          .default(100_000)
          .describe('Unpublished events past which outbox_backlog_alarm is raised (they are never pruned).'),
      })
      .prefault({})
      .describe('The event history and MQTT outbox.'),
    storage: z
      .strictObject({
        runtime_dir: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe(
            'Where the spool (events the database will not take yet) and, on a read-only data dir, the control socket go. ' +
              "Default: $RUNTIME_DIRECTORY (the unit's RuntimeDirectory=, kept across restarts), else /run/keypadd if it exists, else a folder in the temp dir.",
          ),
        reserve_mb: z
          .number()
          .min(0)
          .max(1024)
          .default(8)
          .describe('Size of the reserve file in the data dir, freed when the disk fills so the door can still start and store events (0: none).'),
      })
      .prefault({})
      .describe('Storage that survives the field: the spool and the disk reserve.'),
    sync: syncSchema,
    email: emailSchema,
    gpio: z
      .strictObject({
        chip: z
          .union([z.string().min(1), z.int().min(0).max(100_000)])
          .nullable()
          .default(null)
          .describe('GPIO controller by sysfs label or base, when auto-detection (pinctrl-bcm2835/2711/rp1) does not fit.'),
        sysfs_root: z.string().default('/sys/class/gpio').describe('Where the sysfs GPIO interface is (tests point this at fixtures).'),
      })
      .prefault({})
      .describe('GPIO through sysfs (onoff).'),
    shifts: shiftsSchema,
    holidays: holidaysSchema,
    doors: z
      .array(door)
      .min(1, 'at least one door is needed')
      .prefault([{ id: 1, name: 'Front Door' }])
      .describe('The doors this controller drives (default: one door 1 named "Front Door").'),
  })
  .superRefine((c, ctx) => {
    checkLengths(c.pin_policy, ['pin_policy'], ctx);
    const seen = new Set<number>();
    const m = c.mqtt;
    if (m.url?.startsWith('mqtt://') && (m.ca_file || m.cert_file)) {
      ctx.addIssue({ code: 'custom', path: ['mqtt', 'url'], message: 'use mqtts:// with ca_file/cert_file (TLS)' });
    }
    if ((m.cert_file === null) !== (m.key_file === null)) {
      ctx.addIssue({ code: 'custom', path: ['mqtt', m.cert_file ? 'key_file' : 'cert_file'], message: 'cert_file and key_file go together' });
    }
    const pins = new Map<number, string>();
    c.doors.forEach((d, i) => {
      const h = d.hardware;
      if (!h) return;
      for (const { field, pin } of wiredLines(h)) {
        const where = `doors[${i}].hardware.${field}`;
        const other = pins.get(pin);
        if (other)
          ctx.addIssue({ code: 'custom', path: ['doors', i, 'hardware', ...field.split('.')], message: `BCM ${pin} is already used by ${other}` });
        else pins.set(pin, where);
      }
    });
    c.doors.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'id'], message: `door id ${d.id} is used twice` });
      seen.add(d.id);
      if (d.max_unlock_ms < d.unlock_ms) {
        ctx.addIssue({ code: 'custom', path: ['doors', i, 'max_unlock_ms'], message: `must be at least unlock_ms (${d.unlock_ms})` });
      }
      if (d.pin_policy) checkLengths({ ...c.pin_policy, ...d.pin_policy }, ['doors', i, 'pin_policy'], ctx);
    });
    const mapped = new Set<number>();
    c.sync.doors.forEach((m, i) => {
      if (!seen.has(m.door)) ctx.addIssue({ code: 'custom', path: ['sync', 'doors', i, 'door'], message: `door ${m.door} is not configured` });
      if (mapped.has(m.door)) ctx.addIssue({ code: 'custom', path: ['sync', 'doors', i, 'door'], message: `door ${m.door} is mapped twice` });
      mapped.add(m.door);
    });
    if (c.sync.url !== null && c.sync.doors.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sync', 'doors'],
        message: 'map at least one upstream channel, role or group to a door, or no synced person gets in',
      });
    }
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

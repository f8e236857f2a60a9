/** The schema of one door: its PIN policy overrides, behaviour, and hardware wiring (part of the one config schema). */
import { z } from 'zod';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../core/pin-rules.js';
import { controlCharProblem } from '../core/text.js';

/** Names from the config reach log lines and events too (core/text.ts). */
export const noControl = (v: string) => controlCharProblem(v) === null;
export const controlText = controlCharProblem('\n')!;

export const pinLength = () => z.int().min(PIN_MIN_DIGITS).max(PIN_MAX_DIGITS);
export const weakPins = () => z.enum(['warn', 'reject']);

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

/**
 * A duration in seconds, from `min` to `max`: bounded both ways, so that no value can switch a protection off by
 * accident (Node timers hold at most 2^31-1 ms, about 24.8 days; a larger one fires at once).
 */
export const seconds = (min: number, max: number) => z.number().min(min).max(max);

/** An id as DoorFlow numbers them: a positive 32-bit integer. */
export const id = () =>
  z
    .int()
    .min(1)
    .max(2 ** 31 - 1);

const bcm = () => z.int().min(0).max(27).describe('BCM GPIO number (0-27), not the header pin number.');
const outputLine = () =>
  z.strictObject({
    pin: bcm(),
    active_low: z.boolean().default(false).describe('true when the line is active at 0 V (many relay boards and reader LED inputs).'),
  });
const inputLine = () =>
  z.strictObject({
    pin: bcm(),
    active_low: z.boolean().default(false).describe('true when the contact or button pulls the line to 0 V when active.'),
    debounce_ms: z.int().min(0).max(1000).default(50).describe('Software debounce: a change counts once the level has held this long.'),
  });

const hardware = z
  .strictObject({
    relay: outputLine().describe('The lock relay; active = energised.'),
    led: outputLine().optional().describe('Reader LED input (grant/deny/lockout patterns).'),
    buzzer: outputLine().optional().describe('Reader buzzer input.'),
    contact: inputLine().optional().describe('Door contact; active = door open.'),
    rex: inputLine().optional().describe('Request-to-exit button; active = pressed.'),
    tamper: inputLine().optional().describe('Reader or enclosure tamper switch; active = tampered.'),
    wiegand: z
      .strictObject({
        d0: bcm(),
        d1: bcm(),
        active_low: z.boolean().default(true).describe('Wiegand data lines idle high and pulse low (true for nearly every reader).'),
        gap_ms: z.number().min(2).max(200).default(25).describe('Silence that ends a frame; the spec allows 20 ms between bits.'),
        formats: z
          .array(z.enum(['h10301', 'h34', 'h10304']))
          .default(['h10301', 'h34', 'h10304'])
          .describe('Card formats accepted: 26-bit H10301, 34-bit, 37-bit H10304.'),
        raw_lengths: z.array(z.int().min(9).max(64)).default([]).describe('Other frame lengths accepted as raw cards (all bits as the number).'),
        star_value: z.int().min(10).max(15).default(10).describe('4-bit value of * (some readers swap * and #).'),
        hash_value: z.int().min(10).max(15).default(11).describe('4-bit value of #.'),
        max_frames_per_second: z.int().min(1).max(1000).default(50).describe('Frames passed on per second; a flood beyond is dropped and counted.'),
        backend: z
          .enum(['onoff', 'gpiod'])
          .default('onoff')
          .describe(
            'How the data lines are read: onoff (sysfs, the default) or gpiod (the GPIO character device through gpiomon, kernel timestamps).',
          ),
        gpiod_chip: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[^-\s][^\s]*$/, 'must be a chip name, number, path or label without spaces, not starting with -')
          .default('gpiochip0')
          .describe('backend gpiod: the GPIO chip whose line offsets are D0 and D1 (gpiochip0 on a Pi: offsets are BCM numbers).'),
        gpiomon_path: z
          .string()
          .min(1)
          .refine(noControl, controlText)
          .refine((p) => !p.startsWith('-'), 'must be a path or a command name, not an option')
          .default('gpiomon')
          .describe('backend gpiod: the gpiomon program (Debian package gpiod, libgpiod 1.6), looked up on PATH unless a path.'),
      })
      .optional()
      .describe('A Wiegand reader or keypad on two GPIO inputs (through a level shifter: readers send 5 V).'),
    serial: z
      .strictObject({
        path: z.string().min(1).describe('Serial device, e.g. /dev/keypad0 (a stable name from the udev rule in hardware/).'),
        baud_rate: z.int().min(50).max(4_000_000).default(9600).describe('Baud rate.'),
        protocol: z.enum(['keys', 'line']).default('keys').describe('keys: each character is a key; line: each line is a PIN or a card.'),
        card_pattern: z
          .string()
          .nullable()
          .default(null)
          .refine((p) => p === null || compiles(p), 'must be a valid regular expression with one group for the number')
          .describe('With protocol line: a line matching this pattern is a card; group 1 is its number (e.g. "^C:(\\d+)$").'),
        max_line: z.int().min(4).max(1024).default(64).describe('Longer lines are discarded and counted.'),
      })
      .optional()
      .describe('A keypad on a serial port (USB or UART).'),
  })
  .describe('The door’s GPIO and serial wiring. Needed for `keypadd run` on a Pi; --sim ignores it.');

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export const door = z.strictObject({
  hardware: hardware.optional(),
  id: id().describe('Door number, used as the DoorFlow channel id (a positive integer).'),
  name: z.string().trim().min(1).max(64).refine(noControl, controlText).describe('Door name shown in events ("Front Door").'),
  pin_policy: doorPinPolicy.optional(),
  mode: z
    .enum(['pin', 'card', 'card_or_pin', 'card_and_pin'])
    .default('card_or_pin')
    .describe('Credentials this door takes: pin, card, card_or_pin, or card_and_pin (card, then the same person’s PIN).'),
  card_and_pin_window_s: seconds(1, 300).default(15).describe('card_and_pin: seconds after the card within which the PIN must follow.'),
  unlock_ms: z.int().min(100).max(600_000).default(5000).describe('How long a grant unlocks the door (ms); a new grant extends it.'),
  max_unlock_ms: z
    .int()
    .min(1000)
    .max(86_400_000)
    .default(120_000)
    .describe('Hard limit on any one unlocked period (ms): a guard against a stuck timer; the relay is forced locked.'),
  fail_safe: z.boolean().default(false).describe('true for locks that must open on power loss (maglocks): the relay is energised to lock.'),
  held_open_s: seconds(1, 86_400).default(30).describe('Seconds the door may stand open before door_held_open is raised.'),
  relock_on_close: z.boolean().default(true).describe('Lock as soon as the door closes after a grant (no tailgating on the rest of unlock_ms).'),
  max_pin_age_days: z.int().min(1).max(36_500).optional().describe('Refuse PINs older than this many days at this door (pin_expired).'),
  pin_expiry_warning_days: z
    .int()
    .min(1)
    .max(365)
    .default(7)
    .describe('With max_pin_age_days: a pin_expiring event this many days before a PIN expires here (once per PIN), for reminders.'),
  keypad: z
    .strictObject({
      timeout_s: seconds(1, 300).default(10).describe('Silence after which a partly typed PIN is dropped.'),
      submit_on_length: z
        .int()
        .min(4)
        .max(8)
        .nullable()
        .default(null)
        .describe('For keypads without #: submit as soon as this many digits are typed (null: # submits).'),
    })
    .prefault({})
    .describe('Key entry at this door.'),
});

/** Every GPIO line a door's wiring uses: its config field, a name for people, and the BCM pin. */
export function wiredLines(h: z.output<typeof hardware>): { field: string; name: string; pin: number }[] {
  const lines: [string, string, number | undefined][] = [
    ['relay.pin', 'relay', h.relay.pin],
    ['led.pin', 'LED', h.led?.pin],
    ['buzzer.pin', 'buzzer', h.buzzer?.pin],
    ['contact.pin', 'contact', h.contact?.pin],
    ['rex.pin', 'REX', h.rex?.pin],
    ['tamper.pin', 'tamper', h.tamper?.pin],
    ['wiegand.d0', 'Wiegand D0', h.wiegand?.d0],
    ['wiegand.d1', 'Wiegand D1', h.wiegand?.d1],
  ];
  return lines.filter((l): l is [string, string, number] => l[2] !== undefined).map(([field, name, pin]) => ({ field, name, pin }));
}

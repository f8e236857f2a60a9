/** PIN policy in force at a door: the site policy with the door's overrides applied. */
import type { PinRules } from '../core/pin-rules.js';
import type { Config, DoorConfig } from './schema.js';

export function sitePinRules(config: Config): PinRules {
  const { min_length, max_length, generated_length, weak_pins } = config.pin_policy;
  return { min_length, max_length, generated_length, weak_pins };
}

export function doorPinRules(config: Config, door: DoorConfig): PinRules {
  return { ...sitePinRules(config), ...door.pin_policy };
}

/** A door's timers in milliseconds: the one place its seconds become milliseconds. */
export interface DoorTimings {
  /** Silence after which a partly typed PIN is dropped. */
  entryTimeoutMs: number;
  /** card_and_pin: the time after the card within which the PIN must follow. */
  cardAndPinWindowMs: number;
  /** How long the door may stand open before door_held_open. */
  heldOpenMs: number;
}

export function doorTimings(door: DoorConfig): DoorTimings {
  return { entryTimeoutMs: door.keypad.timeout_s * 1000, cardAndPinWindowMs: door.card_and_pin_window_s * 1000, heldOpenMs: door.held_open_s * 1000 };
}

/** Sync's timers in milliseconds: the one place its seconds and hours become milliseconds. */
export interface SyncTimings {
  /** Between pulls that succeeded. */
  intervalMs: number;
  /** A full pull (not a delta) at least this often. */
  fullEveryMs: number;
  /** One request to the upstream. */
  requestTimeoutMs: number;
  /** A cache older than this raises sync_stale. */
  maxAgeMs: number;
}

export function syncTimings(config: Config): SyncTimings {
  const sync = config.sync;
  return {
    intervalMs: sync.interval_s * 1000,
    fullEveryMs: sync.full_every_h * 3_600_000,
    requestTimeoutMs: sync.timeout_s * 1000,
    maxAgeMs: sync.max_age_h * 3_600_000,
  };
}

/**
 * Length of a generated PIN when the request names none: the longest generated_length of the site and its doors,
 * so that a generated PIN opens every door (the schema keeps each door's generated_length within its min/max).
 */
export function generatedLengthForAllDoors(config: Config): number {
  return Math.max(config.pin_policy.generated_length, ...config.doors.map((d) => doorPinRules(config, d).generated_length));
}

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

/**
 * Length of a generated PIN when the request names none: the longest generated_length of the site and its doors,
 * so that a generated PIN opens every door (the schema keeps each door's generated_length within its min/max).
 */
export function generatedLengthForAllDoors(config: Config): number {
  return Math.max(config.pin_policy.generated_length, ...config.doors.map((d) => doorPinRules(config, d).generated_length));
}

/** Option parsers: a bad value is refused by commander with the option's name and the rule. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('must be a positive whole number.');
  }
  return Number(value);
}

export function collectInt(value: string, previous: number[] = []): number[] {
  return [...previous, positiveInt(value)];
}

export function bool(value: string): boolean {
  if (value === 'true' || value === 'yes') return true;
  if (value === 'false' || value === 'no') return false;
  throw new InvalidArgumentError('must be true or false.');
}

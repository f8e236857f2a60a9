import { RefusedError } from '../../src/application/errors.js';

/** Runs `fn`, which must be refused, and returns the refusal for its kind and field errors. */
export function refusal(fn: () => unknown): RefusedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RefusedError) return err;
    throw err;
  }
  throw new Error('expected a refusal, but the request was accepted');
}

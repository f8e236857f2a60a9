/** Answers that are not a success, in DoorFlow's body shape ({error, error_description, errors?}), for every HTTP surface. */
import { type RefusedError, refusalBody } from '../application/errors.js';

/** An answer that is not a success; carries DoorFlow's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(
      typeof body === 'object' && body && 'error_description' in body
        ? String((body as { error_description: unknown }).error_description)
        : String(status),
    );
  }
}

export const httpError = (status: number, error: string, description: string) => new HttpError(status, { error, error_description: description });

/** DoorFlow's shapes for refusals: 422 validation_failed, 404 not_found, 409 with the existing credential. */
export function fromRefusal(err: RefusedError): HttpError {
  const body = refusalBody(err);
  if (err.kind === 'not_found') return new HttpError(404, body);
  if (err.kind === 'conflict') return new HttpError(409, err.existing ?? body);
  return new HttpError(422, body);
}

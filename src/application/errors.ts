/**
 * Refusals of management requests, in the shape DoorFlow answers them: a field and the rule it broke.
 * The CLI exits 2 on these; the API maps them to 422 / 404 / 409. Messages never contain a PIN.
 */
/**
 * `in_use` is a validation refusal whose reason is that the value belongs to someone else: for a PIN under digest
 * storage that answer is the only way to learn that a PIN exists, so the API counts and throttles these.
 */
export type RefusalKind = 'validation' | 'in_use' | 'not_found' | 'conflict';

export class RefusedError extends Error {
  override name = 'RefusedError';
  constructor(
    readonly kind: RefusalKind,
    /** Field -> messages, like DoorFlow's `errors` object. */
    readonly errors: Record<string, string[]>,
    /** For a conflict: the existing resource, as DoorFlow returns it with 409. */
    readonly existing?: unknown,
  ) {
    super(
      Object.entries(errors)
        .map(([field, messages]) => `${field}: ${messages.join('; ')}`)
        .join('\n'),
    );
  }
}

/** DoorFlow's error body for a refusal: the code, the message, and every field with its reasons. */
export interface RefusalBody {
  error: 'validation_failed' | 'not_found' | 'conflict';
  error_description: string;
  errors: Record<string, string[]>;
}

/** The one place a refusal becomes DoorFlow's body (the API answers it; `--json` prints it). */
export function refusalBody(err: RefusedError): RefusalBody {
  const error = err.kind === 'not_found' ? 'not_found' : err.kind === 'conflict' ? 'conflict' : 'validation_failed';
  return { error, error_description: err.message, errors: err.errors };
}

export function invalid(field: string, message: string): RefusedError {
  return new RefusedError('validation', { [field]: [message] });
}

export function inUse(field: string): RefusedError {
  return new RefusedError('in_use', { [field]: ['is already in use'] });
}

export function notFound(field: string, message: string): RefusedError {
  return new RefusedError('not_found', { [field]: [message] });
}

/**
 * A record synced from the upstream API is owned by it: a change made here would be undone (or break) at the next
 * pull, so it is refused with where to make it instead.
 */
export function refuseIfSynced(what: string, row: { upstream_id?: number | string | null }): void {
  if (row.upstream_id === null || row.upstream_id === undefined) return;
  throw new RefusedError('conflict', {
    [what]: [`is synced from the upstream API (upstream id ${row.upstream_id}): change it there; the next sync would undo a change made here`],
  });
}

/** Collects every field problem of one request so they are all reported at once. */
export class Problems {
  private readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  throwIfAny(): void {
    if (Object.keys(this.errors).length > 0) throw new RefusedError('validation', this.errors);
  }
}

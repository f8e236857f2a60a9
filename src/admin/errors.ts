/**
 * Refusals of management requests, in the shape DoorFlow answers them: a field and the rule it broke.
 * The CLI exits 2 on these; the API maps them to 422 / 404 / 409. Messages never contain a PIN.
 */
export type RefusalKind = 'validation' | 'not_found' | 'conflict';

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

export function invalid(field: string, message: string): RefusedError {
  return new RefusedError('validation', { [field]: [message] });
}

export function notFound(field: string, message: string): RefusedError {
  return new RefusedError('not_found', { [field]: [message] });
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

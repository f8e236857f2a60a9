/**
 * Request bodies, validated with zod. DoorFlow wraps some bodies ({"person_credential": {...}}) and the guide's
 * shorter examples do not; both forms are accepted. Unknown fields are ignored, as DoorFlow does.
 */
import { z } from 'zod';
import { HttpError } from './http.js';

const idList = z.array(z.int().min(1));
const nullableText = z.string().max(10_000).nullable();

export const personBody = z.object({
  first_name: z.string().max(100).optional(),
  last_name: z.string().max(100).optional(),
  email: nullableText.optional(),
  enabled: z.boolean().optional(),
  valid_from: nullableText.optional(),
  valid_to: nullableText.optional(),
  notes: nullableText.optional(),
  role_ids: idList.optional(),
  group_ids: idList.optional(),
  /** keypadd's extension: the person's own unlock time; its range is checked by application/people.ts (422 naming it). */
  unlock_seconds: z.number().nullable().optional(),
});

export const credentialBody = z.object({
  credential_type_id: z.union([z.int(), z.string().max(50)]),
  value: z.string().max(64).nullable().optional(),
  enabled: z.boolean().optional(),
  /** keypadd's extension: a use-limited PIN; its range is checked by application/credentials.ts (422 naming it). */
  uses_remaining: z.number().nullable().optional(),
  /** keypadd's extension: the person's duress PIN (opens like their PIN, and raises a duress alarm). */
  duress: z.boolean().optional(),
});

export const credentialUpdateBody = z.object({
  value: z.string().max(64).optional(),
  enabled: z.boolean().optional(),
});

export const reservationBody = z.object({
  person_id: z.int().min(1),
  start_time: z.string().max(64),
  end_time: z.string().max(64),
  channel_ids: idList.optional(),
});

/** Parses `body` (unwrapping `wrapper` when present) or answers 422 naming each field and rule. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, wrapper?: string): T {
  let inner = body;
  if (wrapper && typeof body === 'object' && body !== null && wrapper in body) inner = (body as Record<string, unknown>)[wrapper];
  if (inner === undefined) inner = {};
  const r = schema.safeParse(inner);
  if (r.success) return r.data;
  const errors: Record<string, string[]> = {};
  for (const i of r.error.issues) (errors[i.path.join('.') || 'body'] ??= []).push(i.message);
  const description = Object.entries(errors)
    .map(([f, m]) => `${f}: ${m.join('; ')}`)
    .join('; ');
  throw new HttpError(422, { error: 'validation_failed', error_description: description, errors });
}

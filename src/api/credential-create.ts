/**
 * POST /people/{id}/credentials: the one request that can tell a token whether a PIN exists ("is already in use").
 * Each such refusal is a guess: it is counted per token (PinProbeGuard) and recorded as an event, and past the limit
 * the token's custom PINs get 429 unseen. The refusal is answered without waiting for its event's commit: it then
 * takes about as long as a creation (measured: within a factor of 2, both a few ms), so the time an answer takes
 * says no more than the answer.
 */
import { createCredential, credentialTypeId } from '../application/credentials.js';
import { RefusedError } from '../application/errors.js';
import { isGenerateRequest } from '../core/pin-rules.js';
import { PIN_TYPE_ID } from '../storage/credential-repo.js';
import { newEvent, now } from '../storage/new-event.js';
import { credentialBody, parseBody } from './bodies.js';
import { HttpError } from './http.js';
import type { Answer, RequestContext } from './routes.js';

export async function createCredentialRoute(c: RequestContext): Promise<Answer> {
  const b = parseBody(credentialBody, await c.body(), 'person_credential');
  const source = `api:${c.tokenName}`;
  // A card number is no secret (GET lists them), and a generated PIN compares nothing: only custom PINs count.
  const customPin = isPin(b.credential_type_id) && typeof b.value === 'string' && !isGenerateRequest(b.value);
  const waitMs = customPin ? c.pinProbes.throttledForMs(c.tokenId) : 0;
  if (waitMs > 0) {
    const s = Math.ceil(waitMs / 1000);
    throw new HttpError(429, {
      error: 'too_many_requests',
      error_description: `too many PINs of this token were refused as in use; retry in ${s} s`,
      retry_in: s,
    });
  }
  try {
    const made = createCredential(c.admin, { person_id: c.params[0]!, ...b });
    // The value is the generated or given PIN: it is in this answer and nowhere else (digest storage).
    return { status: 201, body: { ...made.credential, warnings: made.warnings } };
  } catch (err) {
    if (err instanceof RefusedError && err.kind === 'in_use' && customPin) probed(c, source);
    throw err;
  }
}

function isPin(type: unknown): boolean {
  try {
    return credentialTypeId(type) === PIN_TYPE_ID;
  } catch {
    return false; // createCredential names the bad type
  }
}

function probed(c: RequestContext, source: string): void {
  const o = c.pinProbes.refused(c.tokenId);
  const at = now();
  const event = (type: 'api_pin_in_use' | 'api_pin_probe_alarm', label: string, detail: Record<string, unknown>) =>
    newEvent(type, { door_id: null, event_label: label, source, detail }, at);
  c.log('warn', `${source}: a custom PIN was refused as in use (${o.lastHour} in the last hour)`);
  c.record(event('api_pin_in_use', `A PIN sent by ${source} is already in use`, { person_id: c.params[0], refused_last_hour: o.lastHour }));
  if (o.throttledNow)
    c.log('warn', `${source}: custom PINs refused for ${Math.round(o.throttledMs / 1000)} s after ${o.lastHour} PINs in use within the hour`);
  if (o.alarm) {
    c.log('error', `${source}: ${o.lastHour} PINs refused as in use within an hour: someone may be probing for PINs`);
    const label = `${source}: ${o.lastHour} PINs refused as in use within an hour (probing for PINs?)`;
    c.record(event('api_pin_probe_alarm', label, { refused_last_hour: o.lastHour }));
  }
}

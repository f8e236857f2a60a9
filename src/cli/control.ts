/** CLI side of the control socket: a request to the running daemon, its refusal as an error with exit 2. */
import { controlRequest } from '../control/client.js';
import type { ControlRequest } from '../control/protocol.js';
import type { Session } from './session.js';

/** The daemon understood the request and refused it (unknown door, not in sim mode...). */
export class ControlRefusedError extends Error {
  override name = 'ControlRefusedError';
}

export async function askDaemon<T>(s: Session, req: ControlRequest, timeoutMs?: number): Promise<T> {
  const r = await controlRequest(s.config().config.data_dir, req, timeoutMs);
  if (!r.ok) throw new ControlRefusedError(r.error);
  return r.result as T;
}

/** CLI side of the control socket: a request to the running daemon, its refusal as an error with exit 2. */
import { controlRequest } from '../control/client.js';
import type { ControlRequest } from '../control/protocol.js';
import { runtimeDir } from '../storage/spool.js';
import type { Session } from './session.js';

/** The daemon understood the request and refused it (unknown door, not in sim mode...). */
export class ControlRefusedError extends Error {
  override name = 'ControlRefusedError';
}

export async function askDaemon<T>(s: Session, req: ControlRequest, timeoutMs?: number): Promise<T> {
  const { config } = s.config();
  const r = await controlRequest(config.data_dir, req, timeoutMs, runtimeDir(config.data_dir, config.storage.runtime_dir));
  if (!r.ok) throw new ControlRefusedError(r.error);
  return r.result as T;
}

/** Talks to a running daemon over its control socket. */
import { createConnection } from 'node:net';
import { controlSocketPath, type ControlRequest, type ControlResponse } from './protocol.js';

/** No daemon is listening on this data dir. */
export class DaemonNotRunningError extends Error {
  override name = 'DaemonNotRunningError';
}

/**
 * Sends one request to the daemon of `dataDir`. Its socket is in the data dir, or, when the data dir is read-only, in
 * `runtimeDir` (storage/spool.ts runtimeDir): both are tried.
 */
export async function controlRequest(
  dataDir: string,
  req: ControlRequest,
  timeoutMs = 5000,
  runtimeDir: string | null = null,
): Promise<ControlResponse> {
  try {
    return await requestAt(controlSocketPath(dataDir), dataDir, req, timeoutMs);
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError) || runtimeDir === null) throw err;
    return requestAt(controlSocketPath(runtimeDir), dataDir, req, timeoutMs);
  }
}

function requestAt(path: string, dataDir: string, req: ControlRequest, timeoutMs: number): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`keypadd on ${dataDir} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(JSON.stringify(req) + '\n'));
    socket.on('data', (d) => {
      buffer += d.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, nl)) as ControlResponse);
      } catch {
        reject(new Error('the daemon sent an answer that is not JSON'));
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new DaemonNotRunningError(`keypadd is not running on ${dataDir}`));
      else reject(err);
    });
  });
}

/** Talks to a running daemon over its control socket. */
import { createConnection } from 'node:net';
import { controlSocketPath, type ControlRequest, type ControlResponse } from './protocol.js';

/** No daemon is listening on this data dir. */
export class DaemonNotRunningError extends Error {
  override name = 'DaemonNotRunningError';
}

export function controlRequest(dataDir: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  const path = controlSocketPath(dataDir);
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

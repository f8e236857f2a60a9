/**
 * The upstream bearer token: systemd's `$CREDENTIALS_DIRECTORY/upstream-token` when the service has one, else
 * `sync.token_file` (what the admin CLI reads; install.sh points it at the same file). Like the PIN key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { UpstreamError } from './upstream.js';

/** Read at every pull, so a rotated token is used without a restart. */
export function readUpstreamToken(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const credential = env.CREDENTIALS_DIRECTORY ? join(env.CREDENTIALS_DIRECTORY, 'upstream-token') : null;
  const file = credential && (config.sync.token_file === null || nonEmpty(credential)) ? credential : config.sync.token_file;
  if (file === null) throw new UpstreamError('no_token', 'no upstream token: set sync.token_file, or give the unit an upstream-token credential');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new UpstreamError('no_token', `cannot read the upstream token ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // install.sh leaves an empty credential until a token is set.
  if (token === '') throw new UpstreamError('no_token', `the upstream token file ${file} is empty`);
  if (/\s/.test(token)) throw new UpstreamError('no_token', `the upstream token file ${file} holds more than one word`);
  return token;
}

function nonEmpty(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

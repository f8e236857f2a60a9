/**
 * Where a webhook may go. https anywhere; http only to this machine (loopback), or with an explicit allow, since a
 * plain-http POST crosses the network readable and forgeable (the signature proves the body, not who reads it).
 * Pure: the API, the CLI and the delivery worker (for a redirect's target) ask the same question.
 */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

/** Why `raw` cannot be a webhook target, or null when it can. */
export function webhookUrlProblem(raw: string, allowHttp: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be https:// (not ${url.protocol})`;
  if (url.hash !== '') return 'must not have a #fragment';
  if (url.protocol === 'http:' && !allowHttp && !isLoopbackHost(url.hostname))
    return 'http:// is allowed only to loopback (127.0.0.1, ::1, localhost); use https://, or allow plain http explicitly (allow_insecure_http)';
  return null;
}

/** The URL as it may be logged: scheme and host only; the path, user and query often carry a token (Telegram's bot token is in the path). */
export function loggableUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(unreadable URL)';
  }
}

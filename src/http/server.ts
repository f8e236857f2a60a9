/**
 * The one HTTP stack of the controller (the API and the console): Fastify 5, with the limits a door controller on a
 * LAN needs whoever is at the other end: bodies of at most 64 KiB, a whole request within 30 s (a slow client cannot
 * hold a connection open by trickling headers), no proxy trusted, connections closed at once on stop. Every error
 * leaves as DoorFlow's body; an unexpected one is logged with its stack and answered 500 without it.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { RefusedError } from '../application/errors.js';
import { fromRefusal, HttpError, httpError } from './errors.js';

export const MAX_BODY = 64 * 1024;
export const REQUEST_TIMEOUT_MS = 30_000;

export type HttpLog = (level: 'error' | 'warn' | 'info', message: string) => void;

export interface HttpServerOptions {
  /** PEM files: serve https. Both or neither. */
  certFile: string | null;
  keyFile: string | null;
  log: HttpLog;
}

/** What an error thrown by a handler, a hook or Fastify itself is answered with. */
export function toHttpError(err: unknown, log: HttpLog, what: string): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof RefusedError) return fromRefusal(err);
  const code = (err as { code?: string }).code ?? '';
  if (/^SQLITE_READONLY/.test(code))
    return httpError(
      503,
      'service_unavailable',
      'the controller cannot save changes now: its data dir is read-only (the door still decides); see its status',
    );
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return httpError(413, 'payload_too_large', `request bodies are limited to ${MAX_BODY} bytes`);
  const status = (err as FastifyError).statusCode;
  // Fastify's own refusals of a malformed request (bad content length, bad media type, bad URL): the client's fault.
  if (typeof status === 'number' && status >= 400 && status < 500 && code.startsWith('FST_'))
    return httpError(status, status === 415 ? 'unsupported_media_type' : 'bad_request', (err as Error).message);
  log('error', `${what}: ${(err as Error).stack ?? String(err)}`);
  return httpError(500, 'internal_error', 'the controller failed to answer; see its log');
}

export function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  const retryIn = (e.body as { retry_in?: unknown } | null)?.retry_in;
  if (e.status === 429) void reply.header('Retry-After', String(typeof retryIn === 'number' ? retryIn : 60));
  return reply.code(e.status).type('application/json; charset=utf-8').send(e.body);
}

/** A Fastify instance with the stack's limits and error answers; the caller registers its routes and listens. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const https = options.certFile && options.keyFile ? { cert: readFileSync(options.certFile), key: readFileSync(options.keyFile) } : null;
  const app = Fastify({
    ...(https ? { https } : {}),
    logger: false,
    bodyLimit: MAX_BODY,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: 0,
    forceCloseConnections: true,
    trustProxy: false,
    return503OnClosing: true,
    // Hostile paths (a % alone, control characters) are answered 400 by the router, not thrown.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }) as unknown as FastifyInstance;
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, toHttpError(err, options.log, `${request.method} ${request.url}`)),
  );
  return app;
}

/** Listens on "host:port" ("[::1]:8425"); resolves with the URL a client uses (the real port when 0 was asked). */
export async function listenOn(app: FastifyInstance, listen: string, tls: boolean): Promise<string> {
  const [, host, portText] = /^\[?(.*?)\]?:(\d+)$/.exec(listen)!;
  await app.listen({ host: host!, port: Number(portText) });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : Number(portText);
  return `${tls ? 'https' : 'http'}://${listen.replace(/:\d+$/, '')}:${port}`;
}

export const isTls = (certFile: string | null, keyFile: string | null) => Boolean(certFile && keyFile);

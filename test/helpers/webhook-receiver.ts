/** A real HTTP receiver for webhooks, on a loopback port it keeps across stops, recording every POST it answered. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { freePort } from './broker.js';

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  /** What it was answered. */
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export class WebhookReceiver {
  port = 0;
  readonly received: Received[] = [];
  private server?: Server;
  /** The status to answer a request with (200 unless told); called before the request is recorded as taken. */
  answer: (r: Received) => number = () => 200;
  /** Wait before answering, in ms (a slow endpoint). */
  delayMs = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const r: Received = { path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw), status: 0 };
        const status = (r.status = this.answer(r));
        setTimeout(() => {
          this.received.push(r);
          res.writeHead(status).end();
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Down: the port refuses connections, and kept-alive ones are cut. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The events taken (answered 2xx), in the order they arrived. */
  taken(): Received[] {
    return this.received.filter((r) => r.status < 300);
  }
}

/** Whether X-Keypadd-Signature is the HMAC-SHA256 of the raw body under `secret`, compared in constant time. */
export function signatureValid(r: Received, secret: string): boolean {
  const header = String(r.headers['x-keypadd-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', secret).update(r.raw, 'utf8').digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

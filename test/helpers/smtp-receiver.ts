/**
 * A real SMTP server (smtp-server) on a free loopback port, with STARTTLS under a certificate a throwaway CA made by
 * openssl signs, that keeps each mail it accepts. It can refuse the next connections (a relay that is down for a
 * while) or refuse STARTTLS (a relay that would take the PIN in the clear).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { makeServerCertificates } from './test-ca.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Whether the session was under TLS when the mail came. */
  secure: boolean;
  headers: string;
  /** The body, quoted-printable undone. */
  text: string;
}

function decodeBody(raw: string): { headers: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  let body = raw.slice(split + 4);
  if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
    body = Buffer.from(
      body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  } else if (/content-transfer-encoding:\s*base64/i.test(headers)) {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];
  /** Connections seen, refused ones included: each is one try of the sender. */
  connections = 0;
  /** Refuse this many next connections with 421, as a relay that is down answers. */
  refuseNext = 0;
  port = 0;
  readonly caFile: string;
  private server?: SMTPServer;

  constructor(
    readonly dir: string,
    private readonly options: { noStartTls?: boolean } = {},
  ) {
    makeServerCertificates(dir);
    this.caFile = join(dir, 'ca.crt');
  }

  async start(): Promise<void> {
    this.server = new SMTPServer({
      key: readFileSync(join(this.dir, 'server.key')),
      cert: readFileSync(join(this.dir, 'server.crt')),
      authOptional: true,
      disabledCommands: this.options.noStartTls ? ['AUTH', 'STARTTLS'] : ['AUTH'],
      logger: false,
      onConnect: (_session, callback) => {
        this.connections++;
        if (this.refuseNext > 0) {
          this.refuseNext--;
          const err = Object.assign(new Error('relay down for maintenance'), { responseCode: 421 });
          return callback(err);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (b: Buffer) => chunks.push(b));
        stream.on('end', () => {
          const { headers, text } = decodeBody(Buffer.concat(chunks).toString('latin1'));
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            headers,
            text,
          });
          callback();
        });
      },
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The `email:` config block for a keypadd that mails through this receiver. */
  emailYaml(extra = ''): string {
    return `email: { host: 127.0.0.1, port: ${this.port}, ca_file: ${this.caFile}, from: "Front desk <door@example.com>", attempts: 3, retry_delay_ms: 50${extra} }\n`;
  }
}

/**
 * The schema of `email`: the SMTP relay that mails visitors their PIN (`keypadd visitor invite`). TLS is on by
 * default: implicit TLS on 465, STARTTLS required on any other port, so a PIN never crosses the network in the clear
 * unless the admin says `allow_insecure` for a relay on this machine.
 */
import { z } from 'zod';

const path = () => z.string().min(1).max(4096);

export const emailSchema = z
  .strictObject({
    host: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .regex(/^[^\s/:]+$|^\[[0-9A-Fa-f:]+\]$/, 'must be a host name or address, without scheme or port')
      .nullable()
      .default(null)
      .describe('SMTP relay host. Null: email off (invites show the PIN instead of mailing it).'),
    port: z.int().min(1).max(65_535).default(587).describe('SMTP port: 587 (STARTTLS) or 465 (implicit TLS).'),
    secure: z
      .boolean()
      .nullable()
      .default(null)
      .describe('Implicit TLS from the first byte. Null: true on port 465; otherwise STARTTLS is required.'),
    allow_insecure: z
      .boolean()
      .default(false)
      .describe('Send without TLS when the relay offers none. Only for a relay on this machine or a trusted LAN: the PIN is in the mail.'),
    ca_file: path().nullable().default(null).describe("CA certificate (PEM) for a relay whose certificate the system's CAs do not sign."),
    from: z
      .string()
      .trim()
      .min(3)
      .max(320)
      .regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an address, e.g. "Front desk <door@example.com>"')
      .default('keypadd@localhost')
      .describe('Sender address of invites.'),
    user: z.string().min(1).max(320).nullable().default(null).describe('SMTP user name (null: no login).'),
    password_file: path()
      .nullable()
      .default(null)
      .describe('File holding the SMTP password, read at each send (else $CREDENTIALS_DIRECTORY/smtp-password). Never put the password here.'),
    invite_template: path()
      .nullable()
      .default(null)
      .describe(
        'Plain-text template of the invite mail (null: the shipped one). Placeholders: {{first_name}} {{last_name}} {{pin}} {{start}} {{end}} {{doors}} {{site}} {{instructions}}.',
      ),
    instructions: z
      .string()
      .max(4000)
      .default('')
      .describe("The site's instructions put in each invite: where to go, whom to ask (the {{instructions}} placeholder)."),
    attempts: z.int().min(1).max(10).default(3).describe('Tries per mail before the invite is reported failed.'),
    retry_delay_ms: z.int().min(10).max(60_000).default(2000).describe('Wait before the second try; it doubles for each next one.'),
    timeout_ms: z.int().min(1000).max(120_000).default(15_000).describe('Longest wait for the relay to connect or answer, per try.'),
  })
  .prefault({})
  .describe('Email (SMTP) for visitor invites.');

export type EmailConfig = z.output<typeof emailSchema>;

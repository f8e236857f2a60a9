/**
 * The invite mail: its text from the admin's template (plain text, placeholders filled, nothing escaped because
 * nothing is HTML), and its delivery over SMTP with nodemailer, TLS required unless the config allows otherwise.
 * The mail is never stored and its text never logged: it holds the PIN.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { EmailConfig } from '../config/email-schema.js';

/** The shipped template, used when `email.invite_template` is null (in the package: src/application/*.txt). */
const DEFAULT_TEMPLATE = new URL('../../src/application/invite-template.txt', import.meta.url);

export interface InviteFields {
  first_name: string;
  last_name: string;
  pin: string;
  /** The window in site time, as the admin typed it back. */
  start: string;
  end: string;
  doors: string;
  site: string;
  instructions: string;
}

export interface InviteMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends one message; rejects with an error whose message never contains the message's text. */
export interface MailSender {
  send(message: InviteMessage): Promise<void>;
}

/** The template's text, read at each invite so an edit needs no restart. A missing file is the admin's to fix. */
export function readInviteTemplate(email: EmailConfig): string {
  try {
    return readFileSync(email.invite_template ?? DEFAULT_TEMPLATE, 'utf8');
  } catch (err) {
    throw new Error(`email.invite_template: cannot read ${email.invite_template}: ${(err as Error).message}`, { cause: err });
  }
}

/** Fills {{name}} placeholders; an unknown one is left as typed so the admin sees the typo in a test mail. */
export function renderInvite(template: string, fields: InviteFields): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(fields, name) ? fields[name as keyof InviteFields] : whole,
  );
}

function smtpPassword(email: EmailConfig, env: NodeJS.ProcessEnv): string | undefined {
  const file = email.password_file ?? (env.CREDENTIALS_DIRECTORY ? join(env.CREDENTIALS_DIRECTORY, 'smtp-password') : null);
  if (email.user === null) return undefined;
  if (file === null) throw new Error('email.password_file: email.user is set but no password file is configured');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`email.password_file: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** An SMTP sender for the config: implicit TLS on 465 (or `secure: true`), STARTTLS required otherwise. */
export function smtpSender(email: EmailConfig, env: NodeJS.ProcessEnv = process.env): MailSender {
  if (email.host === null) throw new Error('email.host: email is not configured');
  const host = email.host;
  const secure = email.secure ?? email.port === 465;
  return {
    async send(message) {
      const password = smtpPassword(email, env);
      const transport = nodemailer.createTransport({
        host,
        port: email.port,
        secure,
        requireTLS: !secure && !email.allow_insecure,
        ignoreTLS: false,
        connectionTimeout: email.timeout_ms,
        greetingTimeout: email.timeout_ms,
        socketTimeout: email.timeout_ms,
        ...(email.user !== null ? { auth: { user: email.user, pass: password ?? '' } } : {}),
        tls: { minVersion: 'TLSv1.2', ...(email.ca_file ? { ca: readFileSync(email.ca_file) } : {}) },
        logger: false,
        debug: false,
      });
      try {
        await transport.sendMail({ from: email.from, to: message.to, subject: message.subject, text: message.text });
      } catch (err) {
        // nodemailer's error may quote the server's reply; keep only its code and first line, never our text.
        const e = err as { code?: string; message?: string };
        throw new Error(`${e.code ?? 'SMTP'}: ${String(e.message ?? err).split('\n')[0]}`, { cause: err });
      } finally {
        transport.close();
      }
    },
  };
}

/** Sends with `attempts` tries, waiting retry_delay_ms, then twice that, between them. Resolves to the tries used. */
export async function sendWithRetry(
  sender: MailSender,
  message: InviteMessage,
  email: Pick<EmailConfig, 'attempts' | 'retry_delay_ms'>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<{ ok: true; tries: number } | { ok: false; tries: number; error: string }> {
  let error = '';
  for (let tries = 1; tries <= email.attempts; tries++) {
    try {
      await sender.send(message);
      return { ok: true, tries };
    } catch (err) {
      error = (err as Error).message;
      if (tries < email.attempts) await sleep(email.retry_delay_ms * 2 ** (tries - 1));
    }
  }
  return { ok: false, tries: email.attempts, error };
}

/** Where a webhook may go, what may be logged of its URL, and the chat services' payload shapes. */
import { describe, expect, it } from 'vitest';
import { webhookPayload } from '../../src/core/webhook-payload.js';
import { loggableUrl, webhookUrlProblem } from '../../src/core/webhook-url.js';

const event = { event_label: 'PIN rejected: unknown credential', channel_name: 'Front', timestamp: '2026-12-02T01:00:00Z', uid: 'u1' };

describe('webhook URLs', () => {
  it('https anywhere; http only to loopback unless allowed; nothing else', () => {
    expect(webhookUrlProblem('https://hooks.slack.com/services/T/B/X', false)).toBeNull();
    for (const loop of ['http://127.0.0.1:8080/h', 'http://localhost/h', 'http://[::1]:9/h', 'http://127.1.2.3/h'])
      expect(webhookUrlProblem(loop, false)).toBeNull();
    expect(webhookUrlProblem('http://192.168.1.5/h', false)).toMatch(/only to loopback/);
    expect(webhookUrlProblem('http://localhost.example.com/h', false)).toMatch(/only to loopback/);
    expect(webhookUrlProblem('http://192.168.1.5/h', true)).toBeNull();
    expect(webhookUrlProblem('ftp://x/', true)).toMatch(/https/);
    expect(webhookUrlProblem('not a url', true)).toMatch(/absolute/);
  });

  it('logs only the scheme and host: paths and queries carry tokens (Telegram’s bot token is in the path)', () => {
    expect(loggableUrl('https://user:pw@api.telegram.org/bot123:SECRET/sendMessage?chat_id=5')).toBe('https://api.telegram.org');
  });
});

describe('webhook payloads', () => {
  it('event: the whole event JSON', () => {
    expect(JSON.parse(webhookPayload('event', event, 'https://x/').body)).toEqual(event);
  });
  it('slack: {"text"}; telegram: chat_id from the URL and text; text: the line as text/plain', () => {
    const line = 'PIN rejected: unknown credential (Front) at 2026-12-02T01:00:00Z';
    expect(JSON.parse(webhookPayload('slack', event, 'https://hooks.slack.com/x').body)).toEqual({ text: line });
    expect(JSON.parse(webhookPayload('telegram', event, 'https://api.telegram.org/botT/sendMessage?chat_id=-100123').body)).toEqual({
      chat_id: '-100123',
      text: line,
    });
    expect(webhookPayload('text', event, 'https://ntfy.sh/door')).toEqual({ body: line, contentType: 'text/plain; charset=utf-8' });
  });
});

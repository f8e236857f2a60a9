/**
 * What a webhook POST carries. `event` (the default) is the event as the API shows it, for a receiver of your own;
 * the others are the small mappings chat services need, since they refuse a body not in their shape (and a refusal
 * would park every event): `slack` is an incoming webhook's {"text"}, `telegram` the Bot API's sendMessage (the chat
 * from the URL's chat_id), `text` the label alone as text/plain (ntfy and similar). Pure: the worker formats with it.
 */
export const PAYLOAD_FORMATS = ['event', 'slack', 'telegram', 'text'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export interface PayloadEvent {
  event_label: string;
  channel_name: string | null;
  timestamp: string;
}

export function webhookPayload(format: PayloadFormat, event: PayloadEvent, url: string): { body: string; contentType: string } {
  const line = `${event.event_label}${event.channel_name ? ` (${event.channel_name})` : ''} at ${event.timestamp}`;
  switch (format) {
    case 'event':
      return { body: JSON.stringify(event), contentType: 'application/json' };
    case 'slack':
      return { body: JSON.stringify({ text: line }), contentType: 'application/json' };
    case 'telegram':
      return { body: JSON.stringify({ chat_id: new URL(url).searchParams.get('chat_id'), text: line }), contentType: 'application/json' };
    case 'text':
      return { body: line, contentType: 'text/plain; charset=utf-8' };
  }
}

/** Messages between the daemon and the API worker. */
export type ChannelRequest = { op: 'list' } | { op: 'get'; id: number } | { op: 'admit' | 'unlock' | 'normal'; id: number; source: string };

export type FromApi =
  | { type: 'log'; level: 'error' | 'warn' | 'info'; message: string }
  | { type: 'listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'channel'; id: number; call: ChannelRequest };

export type ToApi =
  | { type: 'channel_result'; id: number; ok: true; result: unknown }
  | { type: 'channel_result'; id: number; ok: false; status: number; body: unknown }
  | { type: 'stop' };

/**
 * The live event feed as Server-Sent Events. One poller per worker reads the events stored since the last tick (a
 * quarter second: a grant shows within a second of the door deciding) and hands each to every open stream; a
 * stream that connects or reconnects gets what it missed first, from the Last-Event-ID its browser sends (or
 * `after`), so a reconnect loses nothing. The poller runs only while a stream is open.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../application/context.js';
import { feedAfter, newestEventId } from '../application/console-reads.js';
import { eventLine, type EventLine } from './words.js';

const TICK_MS = 250;
const HEARTBEAT_MS = 15_000;

interface Stream {
  lastId: number;
  send: (line: EventLine) => void;
}

export class FeedHub {
  private readonly streams = new Set<Stream>();
  private timer: NodeJS.Timeout | null = null;
  private cursor = 0;

  constructor(private readonly admin: () => AdminContext) {}

  open(request: FastifyRequest, reply: FastifyReply): void {
    const admin = this.admin();
    const header = Number(request.headers['last-event-id']);
    const after = Number((request.query as Record<string, string | undefined>).after);
    const from = Number.isSafeInteger(header) && header >= 0 ? header : Number.isSafeInteger(after) && after >= 0 ? after : newestEventId(admin);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    // Ask the browser to come back within 2 s if the connection drops.
    raw.write('retry: 2000\n\n');
    const stream: Stream = {
      lastId: from,
      send: (line) => {
        if (line.id <= stream.lastId) return;
        stream.lastId = line.id;
        raw.write(`id: ${line.id}\nevent: door-event\ndata: ${JSON.stringify(line)}\n\n`);
      },
    };
    // What it missed, oldest first, before it joins the live ticks.
    const zone = admin.config.site.time_zone;
    for (;;) {
      const missed = feedAfter(admin, stream.lastId, 200);
      for (const e of missed) stream.send(eventLine(e, zone));
      if (missed.length < 200) break;
    }
    this.streams.add(stream);
    if (this.cursor < stream.lastId) this.cursor = stream.lastId;
    const heartbeat = setInterval(() => raw.write(': still here\n\n'), HEARTBEAT_MS);
    raw.on('close', () => {
      clearInterval(heartbeat);
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stopTicking();
    });
    this.startTicking();
  }

  /** Ends every stream (the worker is stopping). */
  close(): void {
    this.stopTicking();
    this.streams.clear();
  }

  private startTicking(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private stopTicking(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    try {
      const admin = this.admin();
      const zone = admin.config.site.time_zone;
      const fresh = feedAfter(admin, this.cursor, 200);
      for (const e of fresh) {
        this.cursor = e.id;
        const line = eventLine(e, zone);
        for (const s of this.streams) s.send(line);
      }
    } catch {
      // The store cannot be read now (a 503 elsewhere): the next tick tries again.
    }
  }
}

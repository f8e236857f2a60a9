/**
 * A keypad (or reader) on a serial port, through serialport and @serialport/parser-readline.
 * Protocol `keys`: every received 0-9, * or # is a key press. Protocol `line`: every line is a PIN (digits, then an
 * implied #), or a card when it matches `cardPattern` (its first group is the number). CRLF and LF both end a line.
 * Garbage and over-long lines are dropped and counted. A port that disappears (USB unplugged) is reported offline
 * and reopened with backoff; when it is back it is reported online.
 */
import { ReadlineParser } from '@serialport/parser-readline';
import { SerialPort } from 'serialport';
import { backoffMs } from '../../core/backoff.js';
import { parseCardNumber } from '../../core/card-number.js';
import { isKey, type Key } from '../../core/key-collector.js';
import { InputEvents } from '../door-hardware.js';

/** The first wait before reopening a port that went away; it doubles up to maxBackoffMs. */
const FIRST_REOPEN_MS = 1000;
export interface SerialKeypadOptions {
  name: string;
  path: string;
  baudRate: number;
  protocol: 'keys' | 'line';
  cardPattern: RegExp | null;
  maxLineLength: number;
  /** Reopen backoff: from 1 s, doubling to this (ms). */
  maxBackoffMs: number;
}

export class SerialKeypad extends InputEvents {
  private port?: SerialPort;
  /** Reopen attempts since the port last opened: the backoff's attempt. */
  private attempts = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private offline = false;
  private closed = false;
  private pendingBytes = 0;
  readonly stats = { keys: 0, lines: 0, cards: 0, garbage: 0, overlong: 0, reconnects: 0 };

  constructor(private readonly opts: SerialKeypadOptions) {
    super();
  }

  /** Opens the port; failures are retried in the background, never thrown. */
  start(): void {
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    if (this.port?.isOpen) this.port.close();
  }

  get online(): boolean {
    return this.port?.isOpen === true;
  }

  private open(): void {
    if (this.closed) return;
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate, autoOpen: false });
    this.port = port;
    port.open((err) => {
      if (err) return this.lost(`cannot open ${this.opts.path}: ${err.message}`);
      this.attempts = 0;
      if (this.offline) {
        this.offline = false;
        this.stats.reconnects++;
        this.statuses.emit({ type: 'reader_online', source: this.opts.name });
      }
      if (this.opts.protocol === 'keys') port.on('data', (chunk: Buffer) => this.onChars(chunk.toString('latin1')));
      else this.readLines(port);
    });
    port.on('close', () => this.lost(`${this.opts.path} closed`));
    port.on('error', (e: Error) => this.lost(`${this.opts.path}: ${e.message}`));
  }

  private readLines(port: SerialPort): void {
    const parser = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
    parser.on('data', (line: string) => {
      this.pendingBytes = 0;
      this.onLine(line.replace(/\r$/, ''));
    });
    // ReadlineParser holds a partial line without limit; a stream with no newline would grow it forever.
    port.on('data', (chunk: Buffer) => {
      const nl = chunk.lastIndexOf(0x0a);
      this.pendingBytes = nl >= 0 ? chunk.length - nl - 1 : this.pendingBytes + chunk.length;
      if (this.pendingBytes > this.opts.maxLineLength * 4) {
        this.stats.overlong++;
        this.pendingBytes = 0;
        port.unpipe(parser);
        parser.destroy();
        this.readLines(port);
      }
    });
  }

  private onChars(text: string): void {
    for (const ch of text) {
      if (isKey(ch)) {
        this.stats.keys++;
        this.keys.emit(ch);
      } else if (ch !== '\r' && ch !== '\n') this.stats.garbage++;
    }
  }

  private onLine(line: string): void {
    if (line.length === 0) return;
    if (line.length > this.opts.maxLineLength) {
      this.stats.overlong++;
      return;
    }
    this.stats.lines++;
    const match = this.opts.cardPattern?.exec(line);
    const card = match?.[1] === undefined ? null : parseCardNumber(match[1]);
    if (card?.ok) {
      this.stats.cards++;
      this.cards.emit(card.number);
    } else if (/^[0-9]{1,16}$/.test(line)) {
      // A whole PIN in one line: the door's key collector sees it as typed, then #.
      for (const ch of line) this.keys.emit(ch as Key);
      this.keys.emit('#');
    } else {
      this.stats.garbage++;
    }
  }

  private lost(reason: string): void {
    if (this.closed || this.reopenTimer) return;
    if (!this.offline) {
      this.offline = true;
      this.statuses.emit({ type: 'reader_offline', source: this.opts.name, reason });
    }
    if (this.port?.isOpen) this.port.close(() => undefined);
    this.reopenTimer = setTimeout(
      () => {
        this.reopenTimer = undefined;
        this.open();
      },
      backoffMs(++this.attempts, { firstMs: FIRST_REOPEN_MS, maxMs: this.opts.maxBackoffMs, jitter: 0 }),
    );
  }
}

/**
 * Edges from the GPIO character device through libgpiod's own `gpiomon`, supervised as a child process. The kernel
 * queues each edge with its own timestamp (CLOCK_MONOTONIC), so edges that arrive while the event loop is busy keep
 * the times they happened at, where onoff's sysfs edges coalesce.
 *
 * The command line is libgpiod 1.6's (the `gpiod` package of Debian bookworm):
 *   gpiomon -b -F '%o %e %s %n' -f|-r CHIP OFFSET...
 * `-b` line-buffers stdout (a pipe is block-buffered otherwise), and each line is "<offset> <0|1> <seconds> <nanoseconds>".
 * A line that does not parse is counted and reported, never trusted. When gpiomon exits it is restarted with backoff
 * and the reader reported offline; once a restarted gpiomon has run for a while the reader is reported online again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { backoffMs } from '../../core/backoff.js';
import type { HardwareStatus } from '../door-hardware.js';
import { SummedReports } from '../summed-reports.js';

/** The output format asked of gpiomon: offset, event type (1 rising, 0 falling), seconds, nanoseconds. */
export const GPIOMON_FORMAT = '%o %e %s %n';

export interface GpiomonEdge {
  offset: number;
  rising: boolean;
  /** The kernel's timestamp of the edge, in ms on CLOCK_MONOTONIC. */
  tMs: number;
}

/** One line of gpiomon's output in GPIOMON_FORMAT: the edge, or why the line is not one (the line itself is never echoed). */
export function parseGpiomonLine(line: string): GpiomonEdge | { error: string } {
  const fields = line.trim().split(/\s+/);
  if (fields.length !== 4) return { error: `expected 4 fields (offset, edge, seconds, nanoseconds), got ${fields.length}` };
  const [offset, edge, seconds, nanos] = fields as [string, string, string, string];
  if (!/^\d{1,4}$/.test(offset)) return { error: 'offset is not a line number' };
  if (edge !== '0' && edge !== '1') return { error: 'edge is not 0 (falling) or 1 (rising)' };
  if (!/^\d{1,12}$/.test(seconds)) return { error: 'seconds is not a whole number' };
  if (!/^\d{1,9}$/.test(nanos)) return { error: 'nanoseconds is not a number below 10^9' };
  return { offset: Number(offset), rising: edge === '1', tMs: Number(seconds) * 1000 + Number(nanos) / 1e6 };
}

export interface GpiomonOptions {
  /** Human name for statuses ("door 1 Wiegand reader"). */
  name: string;
  /** The gpiomon executable (a path, or a name looked up on PATH). */
  gpiomonPath: string;
  /** The chip as gpiomon takes it: a name (gpiochip0), a number, a path or a label. */
  chip: string;
  offsets: number[];
  /** Which edges to ask for: a pulse on an active-low line starts with a falling edge. */
  edge: 'falling' | 'rising';
  /** Ceiling of the restart backoff (doubling from `firstRestartMs`). */
  maxBackoffMs?: number;
  firstRestartMs?: number;
  /** How long a restarted gpiomon must run before the reader counts as back online. */
  healthyAfterMs?: number;
}

/** Longest partial line kept while waiting for its newline; gpiomon's lines are about 25 characters. */
const MAX_LINE = 256;

export class GpiomonEdges {
  private child: ChildProcess | null = null;
  private stopped = false;
  private offline = false;
  private restarts = 0;
  private partial = '';
  private stderrTail = '';
  private restartTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private unparsedSinceReport: { reason: string; count: number } | null = null;
  private readonly reports = new SummedReports(() => this.flushReport());
  readonly stats = { edges: 0, unparsed: 0, exits: 0 };

  /**
   * `onEdge` gets every edge of the watched offsets in the order gpiomon printed them; `onExit` is told when the child
   * is gone (a frame it was part-way through cannot be finished); `onStatus` gets offline, online and read errors.
   */
  constructor(
    private readonly opts: GpiomonOptions,
    private readonly onEdge: (edge: GpiomonEdge) => void,
    private readonly onStatus: (status: HardwareStatus) => void,
    private readonly onExit: () => void = () => {},
  ) {}

  /** The running gpiomon's process id, or null between restarts. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The arguments gpiomon is started with (no shell: each is one argv entry). */
  get args(): string[] {
    return ['-b', '-F', GPIOMON_FORMAT, this.opts.edge === 'falling' ? '-f' : '-r', this.opts.chip, ...this.opts.offsets.map(String)];
  }

  start(): void {
    this.stopped = false;
    this.spawnChild();
  }

  /** Kills gpiomon and stops restarting it; read errors waiting for their report are reported now. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.healthyTimer);
    this.child?.kill('SIGTERM');
    this.child = null;
    this.reports.close();
  }

  private spawnChild(): void {
    this.partial = '';
    this.stderrTail = '';
    const child = spawn(this.opts.gpiomonPath, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let gone = false;
    const exited = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.child === child) this.child = null;
      this.onChildGone(why);
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-300)));
    child.on('error', (err) => exited(`cannot start ${this.opts.gpiomonPath}: ${err.message}`));
    child.on('close', (code, signal) => {
      const said = this.stderrTail.trim().split('\n').at(-1)?.slice(0, 200);
      exited(`gpiomon exited (${signal ?? `status ${code}`})${said ? `: ${said}` : ''}`);
    });
    this.healthyTimer = setTimeout(() => {
      this.restarts = 0;
      if (this.offline) {
        this.offline = false;
        this.onStatus({ type: 'reader_online', source: this.opts.name });
      }
    }, this.opts.healthyAfterMs ?? 1000);
  }

  private onChildGone(reason: string): void {
    clearTimeout(this.healthyTimer);
    if (this.stopped) return;
    this.stats.exits++;
    this.onExit();
    if (!this.offline) {
      this.offline = true;
      this.onStatus({ type: 'reader_offline', source: this.opts.name, reason });
    }
    this.restarts++;
    const wait = backoffMs(this.restarts, { firstMs: this.opts.firstRestartMs ?? 500, maxMs: this.opts.maxBackoffMs ?? 30_000, jitter: 0.2 });
    this.restartTimer = setTimeout(() => this.spawnChild(), wait);
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    if (this.partial.length > MAX_LINE) {
      this.partial = '';
      this.unparsed('line too long');
    }
    const edges: GpiomonEdge[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      const edge = parseGpiomonLine(line);
      if ('error' in edge) this.unparsed(edge.error);
      else if (!this.opts.offsets.includes(edge.offset)) this.unparsed(`offset ${edge.offset} is not watched`);
      else edges.push(edge);
    }
    // gpiomon reads each line's queue in turn, so after a backlog D0's edges can be printed before D1's earlier ones.
    edges.sort((a, b) => a.tMs - b.tMs);
    for (const edge of edges) {
      this.stats.edges++;
      this.onEdge(edge);
    }
  }

  /** Unparsed lines are reported at most once a second, summed by reason, so a babbling child cannot flood the log. */
  private unparsed(reason: string): void {
    this.stats.unparsed++;
    const pending = this.unparsedSinceReport;
    if (pending && pending.reason === reason) pending.count++;
    else {
      this.flushReport();
      this.unparsedSinceReport = { reason, count: 1 };
    }
    this.reports.poke();
  }

  private flushReport(): void {
    const pending = this.unparsedSinceReport;
    if (!pending) return;
    this.unparsedSinceReport = null;
    this.onStatus({ type: 'read_error', source: this.opts.name, reason: `unparsed gpiomon line: ${pending.reason}`, count: pending.count });
  }
}

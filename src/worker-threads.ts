import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Heap limits for keypadd's worker threads (event writer, MQTT publisher, API, sync). Each is an isolate of its own; a
 * small young generation keeps an idle one near 10 MB on a Pi, and the old-generation cap turns a leak into a
 * worker restart (the daemon restarts its workers) instead of the kernel's OOM killer taking the whole daemon.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 128 };

/**
 * Lowers the calling worker thread's scheduling priority (on Linux, setpriority on "this process" applies to the
 * calling thread only). Storage, MQTT and the API then yield the CPU to the main thread, which handles keys and
 * Wiegand edges: on a busy 2-core machine the input path is never preempted by background work.
 */
export function lowerThreadPriority(niceness: number): void {
  try {
    setPriority(0, niceness);
  } catch {
    // Not permitted or not supported: run at normal priority.
  }
}

/**
 * Stops a worker the polite way: `sendClose` asks it to finish (store, publish, close), then it gets `graceMs` to
 * exit before it is terminated. Bounded, because a wedged worker must not hold up a daemon that is stopping.
 */
export async function stopWorker(worker: Worker, sendClose: () => void, graceMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  sendClose();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  await worker.terminate();
}

/**
 * Lowers the priority of every thread of this process except the main one: V8's platform threads (garbage
 * collection and compilation for every isolate, the workers' included), libuv's pool, and the worker threads.
 * perf sched showed why: a V8 helper thread at the main thread's own priority ran 4.8 ms straight during a sync while
 * the main thread, woken by a timer, waited 4.4 ms for the CPU (CFS does not preempt an equal-priority thread that
 * has run less than its slice). At niceness 10 they yield at once. Threads made later inherit their creator's
 * niceness, so the daemon calls this again now and then. Linux only; elsewhere it does nothing.
 */
export function lowerHelperThreads(niceness = 10): number {
  let lowered = 0;
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  for (const tid of tids) {
    const id = Number(tid);
    if (id === process.pid) continue;
    try {
      if (getPriority(id) < niceness) {
        setPriority(id, niceness);
        lowered++;
      }
    } catch {
      // The thread has gone, or this is not permitted: leave it.
    }
  }
  return lowered;
}

export interface SupervisedWorkerOptions<From> {
  /** The compiled worker script. */
  url: URL;
  /** Names the worker in log lines ("sync worker", "publisher"). */
  name: string;
  workerData: unknown;
  onMessage: (m: From) => void;
  log: { error(msg: string): void };
  /** Wait before a worker that died is started again. */
  restartMs: number;
  /** Called when a worker exits, before any restart (to fail what was waiting on it). */
  onExit?: () => void;
  /** Called with a worker's uncaught error (after it is logged). */
  onError?: (err: Error) => void;
  /** Asked when a worker exits: false leaves it stopped (an API port that cannot be bound). Default: restart. */
  restartIf?: () => boolean;
  /**
   * For a worker that says when it is ready (the event writer, once its database is open and the spool replayed):
   * which message says so. start() then resolves on it, and onReady runs after each start, restarts included.
   */
  isReady?: (m: From) => boolean;
  onReady?: () => void;
  /** What the exit's log line should add ("with 12 events still to store"). */
  exitNote?: () => string;
}

/**
 * One of the daemon's long-lived worker threads (MQTT publisher, API, sync): started with the heap limits,
 * restarted after `restartMs` if it dies, stopped politely. The owner keeps its own protocol and state.
 */
export class SupervisedWorker<To, From> {
  private worker?: Worker;
  private stopping = false;

  constructor(private readonly options: SupervisedWorkerOptions<From>) {}

  /** Starts a worker; resolves at once, or once it says it is ready (isReady). Rejects if it dies before. */
  start(): Promise<void> {
    const worker = new Worker(this.options.url, { workerData: this.options.workerData, resourceLimits: WORKER_LIMITS });
    this.worker = worker;
    this.ready = this.options.isReady === undefined;
    const started = new Promise<void>((resolve, reject) => {
      if (this.ready) return resolve();
      worker.once('exit', (code) => !this.ready && reject(new Error(`${this.options.name} exited (${code}) before it was ready`)));
      worker.once('error', (err) => !this.ready && reject(err));
      this.becameReady = () => {
        this.ready = true;
        resolve();
        this.options.onReady?.();
      };
    });
    worker.on('message', (m: From) => {
      if (!this.ready && this.options.isReady?.(m)) return this.becameReady();
      this.options.onMessage(m);
    });
    worker.on('error', (err) => {
      this.options.log.error(`${this.options.name} failed: ${err.message}`);
      this.options.onError?.(err);
    });
    worker.on('exit', (code) => {
      this.ready = false;
      this.options.onExit?.();
      if (this.stopping || this.options.restartIf?.() === false) return;
      const note = this.options.exitNote?.();
      this.options.log.error(`${this.options.name} exited (${code}); restarting it in ${this.options.restartMs / 1000} s${note ? `, ${note}` : ''}`);
      setTimeout(
        () => void this.start().catch((err: Error) => this.options.log.error(`${this.options.name} did not start again: ${err.message}`)),
        this.options.restartMs,
      ).unref();
    });
    return started;
  }

  private ready = false;
  private becameReady: () => void = () => undefined;

  /** Whether a worker is up to take messages (false once stopping, and until it said it is ready). */
  get running(): boolean {
    return this.worker !== undefined && !this.stopping && this.ready;
  }

  post(m: To): void {
    this.worker?.postMessage(m);
  }

  /** Sends `close`, waits up to `graceMs` for the worker to finish, then terminates it. */
  async stop(close: To, graceMs: number): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    await stopWorker(worker, () => worker.postMessage(close), graceMs);
  }

  /** Resolves when the current worker has exited (at once when none runs). */
  exited(): Promise<void> {
    const worker = this.worker;
    if (!worker || worker.threadId === -1) return Promise.resolve();
    return new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** For tests: the worker thread itself (to kill it as a crash would). */
  get thread(): Worker | undefined {
    return this.worker;
  }
}

/**
 * Requests sent across a thread boundary and their replies, matched by id (the API's channel calls, sync's pulls on
 * demand, the event writer's flushes). A request whose answer can no longer come (its worker died) is settled by
 * settleAll().
 */
export class PendingReplies<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: T) => void; reject: (err: unknown) => void }>();

  /** Sends a request with a fresh id; resolves with the reply to that id. */
  ask(send: (id: number) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      send(id);
    });
  }

  /** The reply to `id`; false when nothing waited for it (already settled). */
  answer(id: number, value: T): boolean {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.resolve(value);
    return w !== undefined;
  }

  refuse(id: number, err: unknown): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.reject(err);
  }

  /** Settles every request still waiting with `value` (a worker that died will not answer). */
  settleAll(value: T): void {
    for (const w of this.waiting.values()) w.resolve(value);
    this.waiting.clear();
  }

  /** The ids still waiting, oldest first (to send again to a restarted worker). */
  get ids(): number[] {
    return [...this.waiting.keys()];
  }
}

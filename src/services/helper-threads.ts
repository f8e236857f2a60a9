/**
 * Background threads (V8's helpers, libuv's pool, the workers) yield the CPU to the input path: lowered at once, and
 * again now and then for threads started since (a restarted worker, libuv's pool on first use).
 */
import { lowerHelperThreads } from '../worker-threads.js';
import type { Service } from './service.js';

export class HelperThreads implements Service {
  readonly name = 'helper-thread priorities';
  private timer?: NodeJS.Timeout;

  start(): void {
    lowerHelperThreads();
    this.timer = setInterval(() => lowerHelperThreads(), 30_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

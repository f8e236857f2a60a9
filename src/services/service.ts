/**
 * A part of the daemon beside the doors: MQTT, the API, sync, the control socket, the watchers (zigbee2mqtt's
 * Extension). Constructors only assign; start() opens what it needs, stop() releases it. The doors are built and
 * their relays locked before any service starts, and a service that fails to start is logged and left out, never
 * stopping the daemon: the door decides whatever MQTT or the API are doing.
 */
import type { Logger } from '../log.js';

export interface Service {
  /** For log lines: "MQTT", "API", "sync". */
  readonly name: string;
  start(): void | Promise<void>;
  /** Releases what start() opened; called in reverse order of start, also after a failed start. */
  stop(): void | Promise<void>;
}

/** The daemon's services, started in the order added and stopped in reverse, each apart from the others. */
export class Services {
  private readonly started: Service[] = [];
  private readonly failed = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  /** Starts `service`; a failure is logged and remembered (for status), and the rest carry on. */
  async start(service: Service): Promise<void> {
    try {
      await service.start();
      this.started.push(service);
    } catch (err) {
      this.failed.set(service.name, (err as Error).message);
      this.log.error(`${service.name} did not start: ${(err as Error).stack ?? String(err)}; the doors work without it`);
    }
  }

  async stopAll(): Promise<void> {
    for (const service of this.started.splice(0).reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.log.error(`${service.name} did not stop cleanly: ${(err as Error).message}`);
      }
    }
  }

  /** Services that failed to start, with why. */
  get failures(): ReadonlyMap<string, string> {
    return this.failed;
  }
}

/**
 * keypadd sync run|status. `run` asks the running daemon's sync worker for a pull (so two pulls never race);
 * with no daemon it pulls in this process and stores its events for the daemon to publish when it starts.
 * Exit 1 when the pull fails or is refused: the cache is then unchanged.
 */
import type { Command } from 'commander';
import { DaemonNotRunningError } from '../../control/client.js';
import { EventRepo } from '../../storage/event-repo.js';
import { createLogger } from '../../log.js';
import { Puller, type PullResult } from '../../sync/puller.js';
import { readSyncState, syncSummary, type SyncCounts } from '../../storage/sync-state.js';
import { readUpstreamToken } from '../../sync/token.js';
import { askDaemon, ControlRefusedError } from '../control.js';
import { print } from '../output.js';
import { type Session, withSession } from '../session.js';

function configured(s: Session): string {
  const url = s.config().config.sync.url;
  if (url === null) throw new ControlRefusedError('sync is not configured: set sync.url (and sync.doors) in the config');
  return url;
}

async function pullHere(s: Session, opts: { force: boolean; full: boolean }): Promise<PullResult> {
  const { config } = s.config();
  const ctx = s.admin();
  const events = new EventRepo(ctx.store.db);
  const puller = new Puller({
    config,
    store: ctx.store,
    log: createLogger('sync'),
    token: () => readUpstreamToken(config),
    emit: (e) => events.append(e),
  });
  return puller.pull(opts);
}

function describeCounts(c: SyncCounts): string[] {
  const line = (name: string, x: { added: number; changed: number; removed: number }) =>
    `  ${name}: ${x.added} added, ${x.changed} changed, ${x.removed} removed`;
  return [
    line('people', c.people),
    line('credentials', c.credentials),
    line('reservations', c.reservations),
    line('roles', c.roles),
    `  skipped: ${c.skipped}${
      c.skipped
        ? ` (${Object.entries(c.skipped_reasons)
            .map(([k, n]) => `${n}× ${k}`)
            .join('; ')})`
        : ''
    }; not for these doors: ${c.ignored}; clashes with local credentials: ${c.clashes}`,
  ];
}

export function registerSync(program: Command): void {
  const sync = program.command('sync').description('credential sync from the upstream DoorFlow-compatible API');

  sync
    .command('run')
    .description('pull from the upstream now (through the running daemon when there is one)')
    .option('--force', 'apply even a pull that removes more than sync.max_delete_fraction (after checking the upstream)')
    .option('--full', 'a full reconcile, not just the people changed since the last pull')
    .action(
      withSession(async (s, o: { force?: boolean; full?: boolean }) => {
        configured(s);
        const opts = { force: o.force === true, full: o.full === true };
        let result: PullResult;
        try {
          result = await askDaemon<PullResult>(s, { cmd: 'sync_run', ...opts }, 15 * 60_000);
        } catch (err) {
          if (!(err instanceof DaemonNotRunningError)) throw err;
          result = await pullHere(s, opts);
        }
        print(s, result, () =>
          result.ok
            ? [`sync (${result.mode}) completed in ${(result.ms / 1000).toFixed(1)} s`, ...describeCounts(result.counts)].join('\n')
            : `sync failed (${result.kind}): ${result.error}`,
        );
        if (!result.ok) process.exitCode = 1;
      }),
    );

  sync
    .command('status')
    .description('last success, its age, what it changed, and the last error')
    .action(
      withSession((s) => {
        const url = configured(s);
        const state = readSyncState(s.admin().store.db);
        const sum = syncSummary(state, Date.now());
        print(s, { url, ...state, age_s: sum.age_s }, () =>
          [
            `upstream: ${url}`,
            `status: ${state.status}${state.consecutive_failures ? ` (${state.consecutive_failures} failed in a row)` : ''}`,
            `last success: ${state.last_success_at ? `${state.last_success_at} (${sum.age_s} s ago, ${state.last_mode})` : 'never'}`,
            `last full reconcile: ${state.last_full_at ?? 'never'}`,
            ...(state.last_counts ? ['last changes:', ...describeCounts(state.last_counts)] : []),
            `last error: ${state.last_error ? `${state.last_error_kind}: ${state.last_error}` : 'none'}`,
            ...(state.stale_since ? [`STALE since ${state.stale_since} (older than sync.max_age_h)`] : []),
          ].join('\n'),
        );
      }),
    );
}

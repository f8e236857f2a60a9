/**
 * Bugs that the test suite must catch, planted one at a time by run.mjs in a copy of the checkout. Each entry:
 *
 *   name      short and unique: `node test/mutations/run.mjs <name>` runs only this one
 *   why       the defect it models, as a user would meet it
 *   file      the file to plant it in, from the repository root (src/..., systemd/...)
 *   find      text that occurs exactly once in that file (run.mjs refuses the table otherwise: update the entry
 *             when the code changes, never delete it to make CI pass)
 *   replace   what the find text becomes
 *   edits     instead of file/find/replace, several {file, find, replace} (an import and its use)
 *   tests     the test files to run; at least one of their tests must fail
 *   testName  optional: only the tests whose full name matches this regular expression (vitest -t), for speed
 *
 * Add a bug here when a review finds one the suite missed, together with the test that now catches it.
 */

/** @typedef {{ file: string, find: string, replace: string }} Edit */
/** @typedef {{ name: string, why: string, tests: string[], testName?: string } & (Edit | { edits: Edit[] })} Mutation */

/** @type {Mutation[]} */
export const MUTATIONS = [
  // ---- The planted bugs of issue 24. ----
  {
    name: 'relay-stop-fail-safe-only',
    why: 'DoorRelay.stop() driving only fail-safe relays locked: a fail-secure strike stays unlocked after SIGTERM',
    file: 'src/door/relay.ts',
    find: '  stop(): void {\n    this.lock();',
    replace: '  stop(): void {\n    if (this.opts.failSafe) this.lock();',
    tests: ['test/cli/door-integrity.test.ts'],
    testName: 'relay locked after SIGTERM',
  },
  {
    name: 'relay-not-claimed-first',
    why: 'relays claimed after the database is opened: a restart that fails on storage leaves the relay as the dead process left it (unlocked)',
    edits: [
      { file: 'src/daemon.ts', find: '    this.relays = await claimRelays(config, this.port, (m) => log.error(m));\n', replace: '' },
      {
        file: 'src/daemon.ts',
        find: '    this.storageMode = opened.mode;\n',
        replace: '    this.storageMode = opened.mode;\n    this.relays = await claimRelays(config, this.port, (m) => log.error(m));\n',
      },
    ],
    tests: ['test/cli/door-integrity.test.ts'],
    testName: 'failed start',
  },
  {
    name: 'grant-resets-lockout',
    why: 'a grant emptying the wrong-PIN window: anyone with one valid PIN guesses without ever being locked out',
    file: 'src/door/entry-path.ts',
    find: '      this.pendingCard = null;\n',
    replace: '      this.pendingCard = null;\n      this.p.keypadGuard.reset();\n',
    tests: ['test/door/door-controller.test.ts', 'test/cli/door-integrity.test.ts'],
    testName: 'valid PIN|reset|grant',
  },
  {
    name: 'lockout-window-not-persisted',
    why: 'the recent wrong PINs lost at a restart: two guesses, a restart, two more... never locked',
    file: 'src/core/lockout.ts',
    find: '    failures: times(p.failureAgesMs),',
    replace: '    failures: [],',
    tests: ['test/core/lockout.test.ts', 'test/cli/door-integrity.test.ts'],
    testName: 'restart',
  },
  {
    name: 'prune-with-untrusted-clock',
    why: 'retention pruning run by a clock that is not trusted (a jump a year ahead deletes the whole log)',
    file: 'src/services/storage-watch.ts',
    find: '        if (this.deps.clock.trusted()) this.deps.writer.prune(this.deps.clock.wallMs());',
    replace: '        this.deps.writer.prune(this.deps.clock.wallMs());',
    tests: ['test/faults/clock-and-stop.test.ts'],
    testName: 'while the clock is untrusted',
  },
  {
    name: 'unit-key-misspelt',
    why: 'a misspelt hardening key in the unit (systemd ignores it with a warning on stderr, and verify still exits 0)',
    file: 'systemd/keypadd.service',
    find: 'ProtectHostname=yes',
    replace: 'ProtectHostnam=yes',
    tests: ['test/systemd/unit.test.ts'],
  },
  {
    name: 'wiegand-rate-divided',
    why: 'the Wiegand rate limit a tenth of the configured one: a person typing fast loses keys',
    file: 'src/drivers/wiegand/wiegand-reader.ts',
    find: 'const rate = this.opts.maxFramesPerSecond;',
    replace: 'const rate = this.opts.maxFramesPerSecond / 10;',
    tests: ['test/drivers/wiegand-reader.test.ts'],
  },
  {
    name: 'wiegand-default-rate-divided',
    why: 'the default max_frames_per_second a tenth of the documented 50',
    file: 'src/config/door-schema.ts',
    find: 'max_frames_per_second: z.int().min(1).max(1000).default(50)',
    replace: 'max_frames_per_second: z.int().min(1).max(1000).default(5)',
    tests: ['test/drivers/wiegand-reader.test.ts'],
  },
  {
    name: 'delete-guard-only-all',
    why: 'the sync delete guard firing only when every synced person or credential would go',
    file: 'src/storage/sync-apply.ts',
    find: 'going >= DELETE_GUARD_MIN && going > of * o.maxDeleteFraction',
    replace: 'going >= DELETE_GUARD_MIN && going >= of',
    tests: ['test/sync/puller.test.ts'],
    testName: 'delete guard',
  },
  {
    name: 'delete-guard-at-fraction',
    why: 'the sync delete guard refusing a pull that removes exactly max_delete_fraction (the rule is "more than")',
    file: 'src/storage/sync-apply.ts',
    find: 'going >= DELETE_GUARD_MIN && going > of * o.maxDeleteFraction',
    replace: 'going >= DELETE_GUARD_MIN && going >= of * o.maxDeleteFraction',
    tests: ['test/sync/puller.test.ts'],
    testName: 'delete guard',
  },
  {
    name: 'delete-guard-no-minimum',
    why: 'the sync delete guard refusing small deletions (3 of 5 visitors) that an admin makes every day',
    file: 'src/storage/sync-apply.ts',
    find: 'export const DELETE_GUARD_MIN = 10;',
    replace: 'export const DELETE_GUARD_MIN = 1;',
    tests: ['test/sync/puller.test.ts'],
    testName: 'delete guard',
  },
  {
    name: 'stale-every-check',
    why: 'sync_stale raised at every check while the cache is stale, not once per episode',
    file: 'src/sync/sync-worker.ts',
    find: 'if (ageMs < timings.maxAgeMs || s.stale_since !== null) return;',
    replace: 'if (ageMs < timings.maxAgeMs) return;',
    tests: ['test/sync/sync-worker.test.ts'],
    testName: 'sync_stale',
  },

  {
    name: 'mqtt-login-not-retried',
    why: 'a broker that refuses the login is tried once and never again (mqtt.js gives up on a CONNACK error by default)',
    file: 'src/mqtt/connection.ts',
    find: '    reconnectOnConnackError: true,\n',
    replace: '',
    tests: ['test/mqtt/mqtt-tls.test.ts'],
  },

  {
    name: 'pin-digest-unkeyed',
    why: 'PINs stored as a plain SHA-256 (a table of 10^8 hashes recovers every one) instead of HMAC under pin.key',
    edits: [
      {
        file: 'src/storage/pin-key.ts',
        find: "import { createHmac, randomBytes } from 'node:crypto';",
        replace: "import { createHash, createHmac, randomBytes } from 'node:crypto';",
      },
      {
        file: 'src/storage/pin-key.ts',
        find: "return createHmac('sha256', key).update(value, 'utf8').digest('base64url');",
        replace: "return createHash('sha256').update(value, 'utf8').digest('base64url');",
      },
    ],
    tests: ['test/application/credentials.test.ts'],
  },

  {
    name: 'api-person-field-unchecked',
    why: 'an API body field no longer validated: a request that should be refused updates the person (same row count)',
    file: 'src/api/bodies.ts',
    find: '  first_name: z.string().max(100).optional(),\n',
    replace: '',
    tests: ['test/api/api.test.ts'],
    testName: 'fuzz',
  },

  {
    name: 'backlog-alarm-never',
    why: 'no outbox_backlog_alarm however many events wait for the broker',
    file: 'src/mqtt/publisher-worker.ts',
    find: 'const alarm = backlog > data.backlogAlarm && !alarmed;',
    replace: 'const alarm = false;',
    tests: ['test/mqtt/mqtt-outage.test.ts'],
    testName: 'backlog_alarm',
  },
  {
    name: 'backlog-alarm-repeated',
    why: 'outbox_backlog_alarm raised again at every status while the backlog stays over the mark',
    file: 'src/mqtt/publisher-worker.ts',
    find: 'const alarm = backlog > data.backlogAlarm && !alarmed;',
    replace: 'const alarm = backlog > data.backlogAlarm;',
    tests: ['test/mqtt/mqtt-outage.test.ts'],
    testName: 'backlog_alarm',
  },

  {
    name: 'retention-prunes-unpublished',
    why: 'retention pruning deleting old events MQTT has not published yet (they are lost to every consumer)',
    file: 'src/storage/prune.ts',
    find: '  for (const key of o.outboxes) through = Math.min(through, new OutboxRepo(db, key).cursor());\n',
    replace: '',
    tests: ['test/storage/event-writer.test.ts'],
    testName: 'retention',
  },
  {
    name: 'writer-no-resend',
    why: 'a restarted event writer not re-sending the events its dead worker had not stored',
    file: 'src/storage/event-writer.ts',
    find: "    for (const [ref, event] of this.pending) this.post({ type: 'event', ref, event });\n",
    replace: '',
    tests: ['test/storage/event-writer.test.ts'],
    testName: 're-sends',
  },

  {
    name: 'control-sock-mode',
    why: 'control.sock left at the umask default (0755 here), not 0660 as documented',
    file: 'src/control/server.ts',
    find: '    chmodSync(path, 0o660);\n',
    replace: '',
    tests: ['test/cli/run-sim.test.ts'],
    testName: 'control.sock',
  },
  {
    name: 'delete-person-drops-events',
    why: 'deleting a person deleting their events too (the history of who came in is lost)',
    file: 'src/application/people.ts',
    find: '  new PeopleRepo(ctx.store.db).delete(id);\n',
    replace: "  ctx.store.db.prepare('DELETE FROM events WHERE person_id = ?').run(id);\n  new PeopleRepo(ctx.store.db).delete(id);\n",
    tests: ['test/cli/run-sim.test.ts'],
    testName: 'deleting a person',
  },

  {
    name: 'token-revoke-ignored',
    why: 'a revoked API token still accepted',
    file: 'src/storage/token-repo.ts',
    // The lookup every request makes (find); revokeByValue has the same clause without the `t.` and is not it.
    find: 'WHERE t.token_hash = ? AND t.revoked_at IS NULL AND c.revoked_at IS NULL',
    replace: 'WHERE t.token_hash = ? AND c.revoked_at IS NULL',
    tests: ['test/api/api.test.ts'],
    testName: 'token',
  },

  {
    name: 'mqtt-lock-ignored',
    why: 'the MQTT lock command accepted but the door left unlocked',
    file: 'src/commands/door-commands.ts',
    find: '  lock: onDoor((door, _c, source) => door.remoteLock(source)),',
    replace: '  lock: onDoor(() => undefined),',
    tests: ['test/mqtt/mqtt-events.test.ts'],
    testName: 'lock command',
  },
  {
    name: 'mqtt-lockout-reset-ignored',
    why: 'the MQTT lockout_reset command accepted but the keypad left locked out',
    file: 'src/commands/door-commands.ts',
    find: '  lockout_reset: onDoor((door, _c, source) => door.resetLockout(source)),',
    replace: '  lockout_reset: onDoor(() => undefined),',
    tests: ['test/mqtt/mqtt-events.test.ts'],
    testName: 'lock command',
  },

  {
    name: 'sync-mapping-change-ignored',
    why: 'a changed sync.doors not forcing a full pull: people unchanged upstream keep the old mapping until the daily reconcile',
    file: 'src/sync/puller.ts',
    find: ' || before.mapping !== mapping',
    replace: '',
    tests: ['test/sync/puller.test.ts'],
    testName: 'sync.doors',
  },

  {
    name: 'doctor-serial-skipped',
    why: 'keypadd doctor not checking the serial keypad port (an unplugged keypad passes)',
    file: 'src/ops/doctor.ts',
    find: '    ...serial(config),\n',
    replace: '',
    tests: ['test/systemd/operations.test.ts'],
    testName: 'doctor',
  },

  {
    name: 'mqtt-client-cert-ignored',
    why: 'mqtt.cert_file not sent: a broker that requires client certificates never lets keypadd in',
    file: 'src/mqtt/connection.ts',
    find: "  if (m.cert_file) s.cert = read('cert_file', m.cert_file);\n",
    replace: '',
    tests: ['test/mqtt/mqtt-tls.test.ts'],
    testName: 'client certificate',
  },
  {
    name: 'api-https-ignored',
    why: 'api.cert_file set but the API served over plain http (while the log says https)',
    file: 'src/http/server.ts',
    find: '    ...(https ? { https } : {}),\n',
    replace: '',
    tests: ['test/api/api.test.ts'],
    testName: 'https',
  },

  // ---- The layer rules of issue 23: a planted cycle and a planted upward import fail the lint step. ----
  {
    name: 'import-cycle-roles-people',
    why: 'roles importing people again (people imports roles): the membership cycle issue 23 removed comes back unnoticed',
    file: 'src/application/roles.ts',
    find: "import { MembershipRepo } from '../storage/membership-repo.js';\n",
    replace: "import { MembershipRepo } from '../storage/membership-repo.js';\nimport { getPersonRow } from './people.js';\nvoid getPersonRow;\n",
    tests: ['test/lint/layers.test.ts'],
    testName: 'tree as it is',
  },
  {
    name: 'driver-imports-storage',
    why: 'a driver reaching into storage: the hardware layer now depends on the database it must keep working without',
    file: 'src/drivers/clock.ts',
    find: "import { existsSync } from 'node:fs';\n",
    replace: "import { existsSync } from 'node:fs';\nimport '../storage/database.js';\n",
    tests: ['test/lint/layers.test.ts'],
    testName: 'tree as it is',
  },
];

/**
 * Backup (admins only): a consistent online copy of the database (src/storage/backup.ts, SQLite's backup API, the
 * same as `keypadd backup`) streamed to the browser as a file, recorded as an audit row naming the admin. The PIN key
 * is never in the copy nor on the page: the page says where it is and how to keep it, so a leaked backup alone hands
 * over no PIN. The copy is made in a private (0700) temporary folder, sent, and deleted once the reply ends. A POST
 * (with the CSRF token), not a GET: a backup holds every person and digest, and a link must not be able to start one.
 */
import { mkdtempSync, createReadStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audit } from '../application/console-reads.js';
import { nowIso } from '../application/context.js';
import { backupDatabase } from '../storage/backup.js';
import { databasePath } from '../storage/database.js';
import { INSTALLED_PIN_KEY, pinKeyLocation } from '../storage/pin-key.js';
import { csrfField, page } from './layout.js';
import { html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';

function keyLocation(c: WebContext): string {
  return pinKeyLocation(c.admin.config.data_dir, process.env, c.admin.config.pin_key_file);
}

export const BACKUP_ROUTES: WebRoute[] = [
  {
    method: 'GET',
    url: '/backup',
    need: 'admin',
    handler: (c) =>
      page(
        'Backup',
        c.viewer,
        html`<section class="card">
            <p>
              Downloads a consistent copy of the database (${databasePath(c.admin.config.data_dir)}), taken while the doors keep working: people,
              roles, credentials (PINs only as digests), reservations, events and the console's users and audit.
            </p>
            <form method="post" action="backup-download">
              ${csrfField(c.viewer)}
              <p><button type="submit">Download backup</button></p>
            </form>
          </section>
          <section class="card" id="key-instructions">
            <h2>The PIN key is not in the backup</h2>
            <p>
              Without the key no PIN or card in the copy matches, so a lost backup hands over no PIN, and a restored one works only with the same key.
              Keep a copy of the key file <strong>${keyLocation(c)}</strong> apart from the backup (on an installed keypadd it is
              ${INSTALLED_PIN_KEY}):
            </p>
            <p><code>sudo install -m 600 ${keyLocation(c)} /somewhere/safe/pin-key</code></p>
            <p>
              To restore: stop keypadd, put the backup in place as ${databasePath(c.admin.config.data_dir)} and the key back at its path, start
              keypadd.
            </p>
          </section>`,
        'backup',
      ),
  },
  {
    method: 'POST',
    url: '/backup-download',
    need: 'admin',
    handler: async (c) => {
      const dir = mkdtempSync(join(tmpdir(), 'keypadd-backup-'));
      try {
        const stamp = nowIso(c.admin)
          .replace(/[:]/g, '')
          .replace(/\+.*$|Z$/, '');
        const name = `keypadd-${stamp}.db`;
        const result = await backupDatabase(c.admin.config.data_dir, join(dir, name));
        audit(c.admin, c.viewer.name, 'backup.download', null, {
          bytes: result.bytes,
          people: result.people,
          credentials: result.credentials,
          events: result.events,
        });
        const stream = createReadStream(result.file);
        const cleanup = () => rmSync(dir, { recursive: true, force: true });
        c.reply.raw.once('close', cleanup);
        return c.reply
          .header('Cache-Control', 'no-store')
          .header('Content-Disposition', `attachment; filename="${name}"`)
          .type('application/vnd.sqlite3')
          .send(stream);
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    },
  },
];

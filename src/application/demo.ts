/** On a fresh demo data dir, someone to let in: a demo person with a generated PIN, shown once and never logged. */
import type { Logger } from '../log.js';
import { PeopleRepo } from '../storage/people-repo.js';
import type { AdminContext } from './context.js';
import { createCredential } from './credentials.js';
import { addPerson } from './people.js';

/** `show` prints the PIN where only the person at the terminal sees it; null (stdout is the journal) gives no PIN. */
export function createDemoPerson(ctx: AdminContext, show: ((line: string) => void) | null, log: Logger): void {
  if (new PeopleRepo(ctx.store.db).count() > 0) return;
  const p = addPerson(ctx, { first_name: 'Demo', last_name: 'Person' });
  if (!show) {
    log.info(`demo person ${p.id} created without a PIN (it would be shown in the journal): add one with keypadd pin add --person ${p.id}`);
    return;
  }
  const { credential } = createCredential(ctx, { person_id: p.id, credential_type_id: 6 });
  show(`Demo person ${p.id} (Demo Person) created with PIN ${credential.value}: type it, then #.`);
}

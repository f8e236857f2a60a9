/** keypadd person export|import: people to and from a spreadsheet (CSV), through application/people-csv.ts. */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify';
import { invalid } from '../../application/errors.js';
import { exportPeople } from '../../application/people-csv.js';
import { importPeople, type ImportReport, type RowOutcome } from '../../application/people-import.js';
import { escapeControl } from '../../core/text.js';
import { print } from '../output.js';
import { withSession } from '../session.js';

export function registerPersonCsv(person: Command): void {
  person
    .command('export')
    .description('write every person as CSV to stdout: id, names, email, enabled, validity, roles and cards (; between several)')
    .option('--include-pins', 'add a pins column; only where PINs are stored in plaintext (pin_policy.storage)')
    .action(
      withSession(async (s, o: { includePins?: boolean }) => {
        const rows = exportPeople(s.admin(), { includePins: o.includePins === true });
        // Streamed row by row with back-pressure: 100,000 people are never one string in memory.
        await pipeline(Readable.from(rows), stringify(), process.stdout, { end: false });
      }),
    );

  person
    .command('import')
    .description('create or update people from CSV (the columns of person export, and pins); a per-row report; exit 1 if a row was refused')
    .argument('<file>', 'CSV file, or - for stdin')
    .option('--dry-run', 'report what would change, and why a row would be refused, and change nothing')
    .action(
      withSession((s, file: string, o: { dryRun?: boolean }) => {
        const report = importPeople(s.admin(), readCsvFile(file), { dryRun: o.dryRun === true, source: 'cli' });
        print(s, report, () => [...report.rows.map(rowLine), summary(report)].map(escapeControl).join('\n'));
        for (const r of report.rows) for (const w of r.warnings) process.stderr.write(escapeControl(`warning: row ${r.row}: ${w}`) + '\n');
        if (report.refused > 0) process.exitCode = 1;
      }),
    );
}

function readCsvFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw invalid('file', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function rowLine(r: RowOutcome): string {
  const what =
    r.action === 'create'
      ? `create ${r.summary}`
      : r.action === 'update'
        ? `update person ${r.person_id}: ${r.summary}`
        : r.action === 'refused'
          ? `refused: ${r.summary}`
          : 'unchanged';
  return `row ${r.row}: ${what}`;
}

function summary(r: ImportReport): string {
  const counts = `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.refused} refused`;
  if (r.dry_run) return `${counts} (dry run: nothing was changed)`;
  return r.refused > 0 ? `${counts} (the refused rows were skipped; the others are saved)` : counts;
}

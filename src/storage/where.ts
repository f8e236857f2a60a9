/**
 * WHERE clauses from only the filters given. `(@x IS NULL OR col = @x)` reads well but SQLite cannot use an index
 * through it, so a one-person lookup became a scan of every row (2 ms a request at 40,000 credentials).
 */
export function where(conditions: [string, unknown][]): { sql: string; params: unknown[] } {
  const present = conditions.filter(([, v]) => v !== undefined && v !== null);
  return { sql: present.length ? `WHERE ${present.map(([c]) => c).join(' AND ')}` : '', params: present.map(([, v]) => v) };
}

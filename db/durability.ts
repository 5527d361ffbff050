import { sql } from 'drizzle-orm';
import type { Database } from './client.ts';

/**
 * Settings under which a commit Postgres has answered can still be lost in a crash, as `name=value`.
 * The consumer commits offsets once Postgres says the rows are committed, so any of these turns a
 * Postgres or machine crash into events lost for good.
 */
export async function nonDurableSettings(db: Database): Promise<string[]> {
  const rows = await db.execute<{ fsync: string; synchronous_commit: string }>(
    sql`select current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit`,
  );
  const settings = rows[0]!;
  const risks: string[] = [];
  if (settings.fsync !== 'on') risks.push(`fsync=${settings.fsync}`);
  if (settings.synchronous_commit === 'off') risks.push(`synchronous_commit=${settings.synchronous_commit}`);
  return risks;
}

import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function getSetting(db: Kysely<Database>, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value;
}

/** Insert-if-absent, then read back: of two processes racing, both see the first value. */
export async function putSettingIfAbsent(db: Kysely<Database>, name: string, value: string): Promise<string> {
  await db
    .insertInto('settings')
    .values({ name, value })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await getSetting(db, name)) ?? value;
}

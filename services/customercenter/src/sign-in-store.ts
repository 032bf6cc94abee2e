import { type Dialect, insertIfAbsent, type ServiceDb, toIso } from '@cafeteria/platform'
import type { Selectable } from 'kysely'
import type { CodeRecord } from './sign-in.ts'
import type { CustomercenterTables } from './store.ts'

export interface SignInTables {
  sign_in_code: {
    phone_number: string
    code_hash: string
    expires_at: Date | string
    tries: number
    window_started_at: Date | string
    sent_in_window: number
  }
  customer_session: {
    id: string
    phone_number: string
    created_at: Date | string
    expires_at: Date | string
    ended_at: Date | string | null
  }
}
type Db = ServiceDb<CustomercenterTables>

const toRecord = (row: Selectable<SignInTables['sign_in_code']>): CodeRecord => ({
  phoneNumber: row.phone_number,
  codeHash: row.code_hash,
  expiresAt: new Date(toIso(row.expires_at)),
  tries: Number(row.tries),
  windowStartedAt: new Date(toIso(row.window_started_at)),
  sentInWindow: Number(row.sent_in_window),
})

/** The phone's code, locked until the transaction ends: two requests for one phone take turns. */
export async function findCodeForUpdate(
  trx: Db,
  dialect: Dialect,
  phoneNumber: string,
): Promise<CodeRecord | undefined> {
  let query = trx.selectFrom('sign_in_code').selectAll().where('phone_number', '=', phoneNumber)
  // SQLite has no row locks: its one writer at a time serialises the two.
  if (dialect !== 'sqlite') query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row && toRecord(row)
}

/** Saves the phone's new code; false when another request made the phone's first one meanwhile. */
export async function saveCode(
  trx: Db,
  dialect: Dialect,
  record: CodeRecord,
  replacing: boolean,
): Promise<boolean> {
  const row = {
    code_hash: record.codeHash,
    expires_at: record.expiresAt,
    tries: record.tries,
    window_started_at: record.windowStartedAt,
    sent_in_window: record.sentInWindow,
  }
  if (!replacing)
    return insertIfAbsent(trx, dialect, 'sign_in_code', { phone_number: record.phoneNumber, ...row })
  await trx.updateTable('sign_in_code').set(row).where('phone_number', '=', record.phoneNumber).execute()
  return true
}

/**
 * Counts one try of the phone's code, if it may still be tried (not expired, tries left), and
 * returns the code as it then stands. One statement: concurrent guesses cannot share a try.
 */
export async function takeTry(
  db: Db,
  phoneNumber: string,
  now: Date,
  maxTries: number,
): Promise<CodeRecord | undefined> {
  const counted = await db
    .updateTable('sign_in_code')
    .set((eb) => ({ tries: eb('tries', '+', 1) }))
    .where('phone_number', '=', phoneNumber)
    .where('tries', '<', maxTries)
    .where('expires_at', '>', now)
    .executeTakeFirst()
  if (Number(counted.numUpdatedRows) === 0) return undefined
  const row = await db
    .selectFrom('sign_in_code')
    .selectAll()
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst()
  return row && toRecord(row)
}

/** Spends the code: only one of two right answers given at once gets a session. */
export async function spendCode(db: Db, phoneNumber: string, codeHash: string): Promise<boolean> {
  const spent = await db
    .deleteFrom('sign_in_code')
    .where('phone_number', '=', phoneNumber)
    .where('code_hash', '=', codeHash)
    .executeTakeFirst()
  return Number(spent.numDeletedRows) > 0
}

export async function insertSession(
  db: Db,
  session: { id: string; phoneNumber: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('customer_session')
    .values({
      id: session.id,
      phone_number: session.phoneNumber,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      ended_at: null,
    })
    .execute()
}

export async function endSession(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('customer_session')
    .set({ ended_at: now })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .execute()
}

/** Whether a session is still on: started here, not ended, not expired. */
export async function sessionIsLive(db: Db, id: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('customer_session')
    .select('id')
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * `cafe dlq` as a real process against an embedded data directory while a service runs on it: a
 * service named drink (the CLI knows services by name; what it opens is `<data dir>/drink.db`)
 * whose handler fails until the test repairs it dead-letters one event, and an invalid event is
 * dead-lettered at once. The CLI lists and shows them, marks them for replay, which the running
 * service carries out, and drops one. The service's bus refuses the events the test names: set
 * aside from its outbox, they are listed, shown, put back and dropped the same way.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { NewEvent } from '@cafeteria/contracts'
import {
  appendToOutbox,
  type Bus,
  createLogger,
  type DeadLetter,
  listDeadLetters,
  listOutboxLetters,
  MessageRefused,
  type OutboxLetter,
  openDatabase,
  openLocalBus,
  type PlatformTables,
  type RunningService,
  type ServiceDefinition,
  startService,
  toEnvelope,
} from '@cafeteria/platform'
import { type TempDir, tempDir, waitFor } from '@cafeteria/platform/testing'
import type { Generated, Kysely } from 'kysely'
import { dlq } from './command.ts'

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url))

interface Tables {
  made: { id: Generated<number>; order_id: number }
}

let broken = true
const flaky: ServiceDefinition<Tables> = {
  name: 'drink',
  migrations: [
    {
      name: '001_made',
      async up(db, t) {
        await db.schema
          .createTable('made')
          .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
          .addColumn('order_id', 'integer', (c) => c.notNull())
          .execute()
      },
    },
  ],
  handlers: () => ({
    Ordered: async (trx, event) => {
      if (broken) throw new Error('espresso machine down')
      await trx.insertInto('made').values({ order_id: event.orderId }).execute()
    },
  }),
}

let dir: TempDir
let bus: Bus
/** Events the service's bus refuses to store, with the whole batch they come in. */
const refused = new Set<string>()
const published: string[] = []
let service: RunningService
let inspect: Awaited<ReturnType<typeof openDatabase<Tables & PlatformTables>>>

before(async () => {
  dir = await tempDir('cafe-dlq-')
  bus = openLocalBus({ path: join(dir.path, 'bus.db') })
  bus.consume('watcher', async (m) => {
    published.push(m.id)
  })
  const refusing: Bus = {
    ...bus,
    async publish(messages) {
      const bad = messages.find((m) => refused.has(m.id))
      if (bad) throw new MessageRefused(bad.id, 'over the maximum payload')
      await bus.publish(messages)
    },
  }
  service = await startService(flaky, {
    env: {
      HOST: '127.0.0.1',
      OPEN_API: 'true',
      CONSUMER_MAX_ATTEMPTS: '1',
      OUTBOX_MAX_ATTEMPTS: '1',
      OUTBOX_POLL_MS: '50',
    },
    bus: refusing,
    logger: createLogger({ level: 'silent' }),
    defaults: { port: 0, databaseUrl: `sqlite:${join(dir.path, 'drink.db')}` },
  })
  inspect = await openDatabase(`sqlite:${join(dir.path, 'drink.db')}`)
})

after(async () => {
  await inspect?.close()
  await service?.stop()
  await bus?.close()
  await dir?.remove()
})

const ordered = (orderId: number, qty: number): NewEvent => ({
  type: 'Ordered',
  orderId,
  data: { phoneNumber: '01012345678', productName: 'coffee', qty, amt: 500, paymentId: orderId },
})

/** The caller's environment without what would point the CLI elsewhere than the test's data directory. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'CAFE_DATA_DIR' && !k.endsWith('_DATABASE_URL')),
)

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** `cafe dlq <args>` as a real process on the test's data directory. */
async function cafe(...args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [cli, 'dlq', ...args, '--data-dir', dir.path],
      { env },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as Ran
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

/** The same command in this process: the checks that need no second process stay fast. */
async function dlqHere(...args: string[]): Promise<Ran> {
  let stdout = ''
  let stderr = ''
  const code = await dlq([...args, '--data-dir', dir.path], env, {
    out: (text) => {
      stdout += text
    },
    err: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

const letters = async (): Promise<DeadLetter[]> => listDeadLetters(inspect.db)
const letterOf = async (orderId: number) => {
  const found = (await letters()).find((l) => JSON.parse(l.payload).orderId === orderId)
  assert.ok(found, `the dead letter of order ${orderId}`)
  return found
}

// Six CLI processes start here, each loading the whole program: slow when the machine is busy.
test('dlq list, show, replay and drop', { timeout: 90_000 }, async () => {
  const failing = toEnvelope('order', ordered(41, 1), new Date())
  const invalid = toEnvelope('order', ordered(42, 0), new Date())
  await bus.publish([failing, invalid].map((e) => ({ id: e.id, type: e.type, payload: JSON.stringify(e) })))
  await waitFor(async () => (await letters()).length === 2, 10_000, { what: 'two dead letters' })
  const first = await letterOf(41)
  const second = await letterOf(42)

  const [list, show, refused] = await Promise.all([
    cafe('list'),
    cafe('show', `drink:${first.id}`),
    cafe('show', 'drink'),
  ])
  assert.equal(list.code, 0, list.stderr)
  const lines = list.stdout.trimEnd().split('\n')
  assert.match(lines[0] ?? '', /^service +id +type +orderId +attempts +failed at +replay +error$/)
  // Oldest first: the invalid event was dead-lettered without a handler attempt, maybe first.
  const lineOf = (letter: DeadLetter) => lines.find((l) => new RegExp(`^drink +${letter.id} `).test(l))
  assert.match(lineOf(first) ?? '', /^drink +\d+ +Ordered +41 +1 +\S+ +Error: espresso machine down$/)
  assert.match(lineOf(second) ?? '', /^drink +\d+ +Ordered +42 +1 +\S+ +invalid event: Ordered failed/)
  assert.equal(lines.length, 3, 'services that never ran here are passed over')

  assert.equal(show.code, 0, show.stderr)
  assert.match(show.stdout, new RegExp(`^drink:${first.id}\n`))
  assert.match(show.stdout, new RegExp(`event id +${failing.id}\n`))
  assert.match(show.stdout, /error +Error: espresso machine down\n/)
  assert.match(show.stdout, /replay +not requested\n/)
  assert.ok(show.stdout.includes(`payload:\n${JSON.stringify(failing, null, 2)}\n`), show.stdout)
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /^'drink' is not <service>:<id>, e\.g\. drink:3\nusage: cafe dlq list/)

  // The cause is fixed: the running service replays the letter once and deletes it.
  broken = false
  const replay = await cafe('replay', `drink:${first.id}`)
  assert.equal(replay.code, 0, replay.stderr)
  assert.match(replay.stdout, new RegExp(`^drink:${first.id} marked for replay`))
  await waitFor(async () => !(await letters()).some((l) => l.id === first.id), 10_000, { what: 'the replay' })
  const made = await inspect.db.selectFrom('made').select('order_id').execute()
  assert.deepEqual(
    made.map((m) => m.order_id),
    [41],
    'applied once',
  )

  // An invalid event stays invalid: the replay fails, the letter stays with one more attempt.
  const all = await cafe('replay', '--all', '--service', 'drink')
  assert.equal(all.code, 0, all.stderr)
  assert.match(all.stdout, /^marked for replay: drink 1;/)
  await waitFor(async () => (await letterOf(42)).attempts === 2, 10_000, { what: 'the failed replay' })
  const relisted = await dlqHere('list')
  assert.match(relisted.stdout, new RegExp(`\ndrink +${second.id} +Ordered +42 +2 +\\S+ +invalid event`))
  assert.doesNotMatch(relisted.stdout, /pending/)

  const drop = await cafe('drop', `drink:${second.id}`)
  assert.deepEqual([drop.code, drop.stdout], [0, `dropped drink:${second.id}; its event stays handled\n`])
  assert.deepEqual(await letters(), [])
  const inbox = await inspect.db
    .selectFrom('inbox')
    .select('event_id')
    .where('event_id', '=', invalid.id)
    .execute()
  assert.equal(inbox.length, 1, 'the dropped event still counts as handled')
  assert.deepEqual(await dlqHere('list'), { code: 0, stdout: 'no dead letters\n', stderr: '' })
  assert.deepEqual(await dlqHere('show', `drink:${second.id}`), {
    code: 1,
    stdout: '',
    stderr: `no dead letter drink:${second.id}\n`,
  })
  assert.deepEqual(await dlqHere('list', '--service', 'order'), {
    code: 1,
    stdout: '',
    stderr: `order: no database at ${join(dir.path, 'order.db')}\n`,
  })
})

test('dlq lists, shows, replays and drops the events the bus refused to take from the outbox', {
  timeout: 60_000,
}, async () => {
  const paid = (orderId: number) =>
    toEnvelope(
      'drink',
      {
        type: 'PaymentApproved',
        orderId,
        data: { paymentId: orderId, phoneNumber: '01012345678', amt: 500 },
      },
      new Date(),
    )
  const [tooBig, next, unwanted] = [paid(61), paid(62), paid(63)]
  refused.add(tooBig.id)
  refused.add(unwanted.id)
  // Written as the service's own transactions write them; its relay finds them at its next poll.
  await inspect.db
    .transaction()
    .execute((trx) => appendToOutbox(trx as unknown as Kysely<PlatformTables>, [tooBig, next, unwanted]))
  const outboxLetters = async (): Promise<OutboxLetter[]> => listOutboxLetters(inspect.db)
  await waitFor(async () => (await outboxLetters()).length === 2, 10_000, { what: 'two outbox letters' })
  await waitFor(() => published.includes(next.id), 10_000, { what: 'the event behind them' })
  const [first, second] = await outboxLetters()
  assert.ok(first && second)
  assert.equal(first.eventId, tooBig.id)

  const list = await cafe('list')
  assert.equal(list.code, 0, list.stderr)
  assert.match(
    list.stdout,
    new RegExp(
      `\ndrink +outbox:${first.id} +PaymentApproved +61 +1 +\\S+ +refused: over the maximum payload\n`,
    ),
  )
  const show = await dlqHere('show', `drink:outbox:${first.id}`)
  assert.equal(show.code, 0, show.stderr)
  assert.match(show.stdout, new RegExp(`^drink:outbox:${first.id}\n  stage +publish: the bus refused it`))
  assert.match(show.stdout, new RegExp(`event id +${tooBig.id}\n`))
  assert.ok(show.stdout.includes(`payload:\n${JSON.stringify(tooBig, null, 2)}\n`), show.stdout)

  // The broker takes it now: put back in the outbox, the running service publishes it once.
  refused.delete(tooBig.id)
  const replay = await dlqHere('replay', `drink:outbox:${first.id}`)
  assert.equal(replay.code, 0, replay.stderr)
  assert.match(replay.stdout, new RegExp(`^drink:outbox:${first.id} is back in the outbox`))
  await waitFor(() => published.includes(tooBig.id), 10_000, { what: 'the replayed event' })
  assert.deepEqual(
    (await outboxLetters()).map((l) => l.eventId),
    [unwanted.id],
  )

  const drop = await dlqHere('drop', `drink:outbox:${second.id}`)
  assert.deepEqual(
    [drop.code, drop.stdout],
    [0, `dropped drink:outbox:${second.id}; its event is never published\n`],
  )
  assert.deepEqual(await outboxLetters(), [])
  assert.equal(
    (await dlqHere('show', `drink:outbox:${second.id}`)).stderr,
    `no dead letter drink:outbox:${second.id}\n`,
  )
  assert.deepEqual(
    published.filter((id) => [tooBig.id, next.id, unwanted.id].includes(id)).sort(),
    [tooBig.id, next.id].sort(),
    'each published once, the dropped one never',
  )
})

test('dlq refuses bad input with exit code 2 and the usage', async () => {
  const refused: ReadonlyArray<[string[], RegExp]> = [
    [[], /^dlq needs a command/],
    [['frob'], /^unknown dlq command 'frob'/],
    [['list', '--service', 'kitchen'], /^unknown service 'kitchen'/],
    [['list', '--bogus'], /^Unknown option '--bogus'/],
    [['list', 'drink:1'], /^dlq list takes no <service>:<id>/],
    [['show', 'drink:0'], /^'drink:0' is not <service>:<id>/],
    [['show', 'drink:1', 'drink:2'], /^dlq show needs one <service>:<id>/],
    [['show', 'drink:outbox:0'], /^'drink:outbox:0' is not <service>:<id>/],
    [['drop', 'drink:inbox:1'], /^'drink:inbox:1' is not <service>:<id>/],
    [['show', 'kitchen:1'], /^unknown service 'kitchen'/],
    [['drop', '--all'], /^dlq drop takes no --all/],
    [['replay'], /^dlq replay needs one <service>:<id>/],
    [['replay', 'drink:1', '--all'], /^dlq replay takes no <service>:<id> with --all/],
    [['replay', 'drink:1', '--service', 'drink'], /^dlq replay takes no --service without --all/],
    [['list', '--distributed'], /^--data-dir is for embedded mode/],
  ]
  for (const [args, reason] of refused) {
    const ran = await dlqHere(...args)
    assert.equal(ran.code, 2, `dlq ${args.join(' ')}`)
    assert.match(ran.stderr, reason, `dlq ${args.join(' ')}`)
    assert.match(ran.stderr, /\nusage: cafe dlq list/)
    assert.equal(ran.stdout, '')
  }
  const memory = await dlq(['list', '--data-dir', ':memory:'], env, { out: () => {}, err: () => {} })
  assert.equal(memory, 2)
})

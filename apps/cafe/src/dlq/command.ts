import {
  dropDeadLetter,
  dropOutboxLetter,
  type Env,
  findDeadLetter,
  findOutboxLetter,
  listDeadLetters,
  listOutboxLetters,
  requestReplay,
  requeueOutboxLetter,
} from '@cafeteria/platform'
import {
  type DlqCommand,
  type LetterRef,
  parseDlqArgs,
  serviceNames,
  UsageError,
  usage,
  type Where,
} from './args.ts'
import { formatLetter, formatList, formatOutboxLetter, type ListedLetter } from './format.ts'
import { openStore, type Store, StoreUnavailable } from './stores.ts'

interface Io {
  out(text: string): void
  err(text: string): void
}

const stdio: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}

/**
 * `cafe dlq …`: reads and changes the dead letters in each service's own database, so it works in
 * both modes with the system running or not. Two kinds: events a service failed to handle, whose
 * replay is only requested here and carried out by the service, and events its bus refused to take
 * from its outbox, whose replay is putting them back there for its relay. Resolves with the exit
 * code: 0 done, 1 a letter or database not found, 2 bad input.
 */
export async function dlq(args: readonly string[], env: Env, io: Io = stdio): Promise<number> {
  if (args[0] === 'help' || args.includes('--help')) {
    io.out(usage)
    return 0
  }
  let parsed: ReturnType<typeof parseDlqArgs>
  try {
    parsed = parseDlqArgs(args, env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.err(`${error.message}\n${usage}`)
    return 2
  }
  try {
    return await run(parsed.command, parsed.where, env, io)
  } catch (error) {
    if (!(error instanceof StoreUnavailable)) throw error
    io.err(`${error.message}\n`)
    return 1
  }
}

async function run(command: DlqCommand, where: Where, env: Env, io: Io): Promise<number> {
  switch (command.action) {
    case 'list': {
      const listed: ListedLetter[] = []
      const code = await eachStore(command.service, where, env, io, async (store) => {
        for (const letter of await listDeadLetters(store.db)) listed.push({ service: store.service, letter })
        for (const outbox of await listOutboxLetters(store.db))
          listed.push({ service: store.service, outbox })
      })
      // A named service that cannot be read has no table to show, not an empty one.
      if (code === 0 || listed.length > 0) io.out(formatList(listed))
      return code
    }
    case 'show':
      return withLetter(command.letter, where, env, io, async (store) => {
        const { id, outbox } = command.letter
        const text = outbox
          ? await findOutboxLetter(store.db, id).then((l) => l && formatOutboxLetter(store.service, l))
          : await findDeadLetter(store.db, id).then((l) => l && formatLetter(store.service, l))
        if (text) io.out(text)
        return text !== undefined
      })
    case 'drop':
      return withLetter(command.letter, where, env, io, async (store) => {
        const { id, outbox } = command.letter
        const dropped = await (outbox ? dropOutboxLetter : dropDeadLetter)(store.db, id)
        const fate = outbox ? 'its event is never published' : 'its event stays handled'
        if (dropped) io.out(`dropped ${name(command.letter)}; ${fate}\n`)
        return dropped
      })
    case 'replay':
      return withLetter(command.letter, where, env, io, async (store) => {
        if (command.letter.outbox) {
          const requeued = (await requeueOutboxLetter(store.db, command.letter.id)) > 0
          if (requeued) {
            io.out(
              `${name(command.letter)} is back in the outbox; the ${store.service} service publishes it within a second while it runs (see dlq list)\n`,
            )
          }
          return requeued
        }
        const marked = (await requestReplay(store.db, command.letter.id)) > 0
        if (marked) {
          io.out(
            `${name(command.letter)} marked for replay; the ${store.service} service replays it within a second while it runs (see dlq list)\n`,
          )
        }
        return marked
      })
    case 'replay-all': {
      const counts: string[] = []
      const code = await eachStore(command.service, where, env, io, async (store) => {
        const marked = await requestReplay(store.db, 'all')
        if (marked > 0) counts.push(`${store.service} ${marked}`)
        const requeued = await requeueOutboxLetter(store.db, 'all')
        if (requeued > 0) counts.push(`${store.service} ${requeued} (outbox)`)
      })
      io.out(
        counts.length === 0
          ? 'nothing to replay\n'
          : `marked for replay: ${counts.join(', ')}; each service replays its letters within a second while it runs (see dlq list)\n`,
      )
      return code
    }
    default: {
      const exhaustive: never = command
      throw new Error(`unknown dlq command ${JSON.stringify(exhaustive)}`)
    }
  }
}

const name = (letter: LetterRef) => `${letter.service}:${letter.outbox ? 'outbox:' : ''}${letter.id}`

/**
 * Runs `work` on the named service's store, or on every service's in turn. A store that is
 * unreachable is reported and skipped (exit code 1); so is a missing one, unless the service was
 * not named: a service never started in this data directory simply has no letters.
 */
async function eachStore(
  service: string | undefined,
  where: Where,
  env: Env,
  io: Io,
  work: (store: Store) => Promise<void>,
): Promise<number> {
  let code = 0
  for (const each of service === undefined ? serviceNames() : [service]) {
    let store: Store
    try {
      store = await openStore(each, where, env)
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error
      if (service !== undefined || !error.missing) {
        io.err(`${error.message}\n`)
        code = 1
      }
      continue
    }
    try {
      await work(store)
    } finally {
      await store.close()
    }
  }
  return code
}

async function withLetter(
  letter: LetterRef,
  where: Where,
  env: Env,
  io: Io,
  work: (store: Store) => Promise<boolean>,
): Promise<number> {
  const store = await openStore(letter.service, where, env)
  try {
    if (await work(store)) return 0
    io.err(`no dead letter ${name(letter)}\n`)
    return 1
  } finally {
    await store.close()
  }
}

import { parseArgs } from 'node:util'
import { services } from '../services.ts'

export const usage = `usage: cafe dlq list [--service <name>]
       cafe dlq show <letter>
       cafe dlq replay <letter> | --all [--service <name>]
       cafe dlq drop <letter>
  <letter>            <service>:<id> an event the service failed to handle,
                      <service>:outbox:<id> an event the bus refused to take from its outbox
  --distributed       the distributed mode's databases (default: embedded mode's SQLite files)
  --data-dir <dir>    embedded mode's data directory (default ./data, or CAFE_DATA_DIR)
  services: ${serviceNames().join(', ')}
`

/**
 * A dead letter as the CLI names it: its service, whether it is an outbox letter (an event the
 * bus refused to publish) rather than a consumer's, and its id in that service's database.
 */
export interface LetterRef {
  readonly service: string
  readonly outbox: boolean
  readonly id: number
}

export type DlqCommand =
  | { readonly action: 'list'; readonly service?: string }
  | { readonly action: 'show' | 'drop'; readonly letter: LetterRef }
  | { readonly action: 'replay'; readonly letter: LetterRef }
  | { readonly action: 'replay-all'; readonly service?: string }

export interface Where {
  readonly distributed: boolean
  /** Embedded mode's data directory, as given. */
  readonly dataDir: string
}

/** Input the CLI refuses: reported with the usage text and exit code 2. */
export class UsageError extends Error {}

export function parseDlqArgs(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { command: DlqCommand; where: Where } {
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions([...args])
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const { values } = parsed
  const [action, ...positionals] = parsed.positionals
  if (values.distributed && values['data-dir'] !== undefined) {
    throw new UsageError('--data-dir is for embedded mode; distributed mode reads <SERVICE>_DATABASE_URL')
  }
  const dataDir = values['data-dir'] ?? env.CAFE_DATA_DIR ?? './data'
  if (!values.distributed && dataDir === ':memory:') {
    throw new UsageError('an in-memory system keeps nothing to inspect; name its --data-dir')
  }
  const where = { distributed: values.distributed, dataDir }
  const service = values.service === undefined ? undefined : knownService(values.service)

  const none = (what: string, present: boolean) => {
    if (present) throw new UsageError(`dlq ${action} takes no ${what}`)
  }
  const one = (): LetterRef => {
    if (positionals.length !== 1)
      throw new UsageError(`dlq ${action} needs one <service>:<id> or <service>:outbox:<id>`)
    return letterRef(positionals[0] as string)
  }
  switch (action) {
    case 'list':
      none('<service>:<id> (see dlq show)', positionals.length > 0)
      none('--all', values.all)
      return { command: { action, service }, where }
    case 'show':
    case 'drop':
      none('--all', values.all)
      none('--service', values.service !== undefined)
      return { command: { action, letter: one() }, where }
    case 'replay':
      if (values.all) {
        none('<service>:<id> with --all', positionals.length > 0)
        return { command: { action: 'replay-all', service }, where }
      }
      none('--service without --all', values.service !== undefined)
      return { command: { action, letter: one() }, where }
    default:
      throw new UsageError(action ? `unknown dlq command '${action}'` : 'dlq needs a command')
  }
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      service: { type: 'string' },
      all: { type: 'boolean', default: false },
      distributed: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
    },
  })
}

export function serviceNames(): string[] {
  return services.map((s) => s.definition.name)
}

function knownService(name: string): string {
  if (!serviceNames().includes(name)) throw new UsageError(`unknown service '${name}'`)
  return name
}

function letterRef(text: string): LetterRef {
  const match = /^([a-z]+):(outbox:)?([1-9]\d{0,15})$/.exec(text)
  if (!match) throw new UsageError(`'${text}' is not <service>:<id>, e.g. drink:3`)
  return { service: knownService(match[1] as string), outbox: match[2] !== undefined, id: Number(match[3]) }
}

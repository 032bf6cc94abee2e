import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from '@cafeteria/platform/config'
import { consoleFormat, createLogger } from '@cafeteria/platform/logger'

// Each command loads what it needs when it runs: start-up time is mostly loading modules.

const usage = `usage: cafe <command>

  start                  run the whole system in this process (embedded mode, SQLite, in-process bus)
    --memory             keep nothing on disk (same as CAFE_DATA_DIR=:memory:)
    --data-dir <dir>     where the SQLite files live (default ./data, or CAFE_DATA_DIR)
    --open               the original's open API: no sign-in, any phone, staff routes open
                         (OPEN_API=true; for its walkthrough only, refused with NODE_ENV=production)
  start --distributed    run one process per service against PostgreSQL, MariaDB and NATS JetStream
    --replicas <list>    processes per service, as in point=2,order=2 (default one each)
    --run-dir <dir>      control socket and replica list (default CAFE_RUN_DIR or ./run/<gateway port>)
  restart <service>      rolling restart of a service's replicas under a running start --distributed
    --run-dir <dir>      the run directory of that runner
  serve <service>        run one service (what each process of distributed mode runs)
  bench [options]        load-test the gateway; see 'cafe bench --help'
  dlq <command>          list, show, replay or drop dead letters; see 'cafe dlq help'
`

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  const logger = createLogger({
    level: process.env.LOG_LEVEL ?? 'info',
    format: consoleFormat(process.stdout, process.env.LOG_FORMAT),
  })
  switch (command) {
    case 'start': {
      const { values } = parseArgs({
        args: rest,
        options: {
          distributed: { type: 'boolean', default: false },
          memory: { type: 'boolean', default: false },
          'data-dir': { type: 'string' },
          replicas: { type: 'string' },
          'run-dir': { type: 'string' },
          open: { type: 'boolean', default: false },
        },
      })
      if (!values.distributed && (values.replicas || values['run-dir']))
        throw new Error('--replicas and --run-dir go with --distributed')
      const env = { ...process.env }
      if (values.memory) env.CAFE_DATA_DIR = ':memory:'
      if (values['data-dir']) env.CAFE_DATA_DIR = values['data-dir']
      if (values.open) env.OPEN_API = 'true'
      const system = values.distributed
        ? await import('./distributed.ts').then(({ startDistributed, parseReplicas }) =>
            startDistributed(env, logger, {
              replicas: parseReplicas(values.replicas ?? ''),
              ...(values['run-dir'] && { runDir: values['run-dir'] }),
            }),
          )
        : await import('./embedded.ts').then(({ startEmbedded }) => startEmbedded(env, logger))
      const where = system.url.replace('127.0.0.1', 'localhost')
      process.stdout.write(
        `\ncafeteria is running (${values.distributed ? 'distributed' : 'embedded'} mode): ${where}\n` +
          (system.staffToken ? staffBanner(where, system.staffToken) : '') +
          (isOpen(env) ? `\n${OPEN_WARNING}\n` : '') +
          '\n',
      )
      onSignal(() => system.stop())
      return
    }
    case 'serve': {
      const name = rest[0]
      if (!name) throw new Error('serve needs a service name')
      const { serveOne } = await import('./serve.ts')
      const service = await serveOne(name, process.env, logger)
      onSignal(() => service.close())
      return
    }
    case 'restart': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { 'run-dir': { type: 'string' } },
      })
      const service = positionals[0]
      if (!service || positionals.length > 1)
        throw new Error('usage: cafe restart <service> [--run-dir <dir>]')
      const [{ defaultRunDir }, { requestRestart }] = await Promise.all([
        import('./distributed.ts'),
        import('./control.ts'),
      ])
      const runDir = defaultRunDir(process.env, values['run-dir'])
      process.exitCode = await requestRestart(join(runDir, 'control.sock'), service, process.stdout)
      return
    }
    case 'bench': {
      // A workspace of its own (apps/bench) that the image leaves out, with its load generator.
      const found = await import('@cafeteria/bench').catch(unlessMissing('@cafeteria/bench'))
      if (!found) {
        process.stderr.write(`${BENCH_MISSING}\n`)
        process.exitCode = 2
        return
      }
      await found.bench(rest, logger)
      return
    }
    case 'dlq': {
      const { dlq } = await import('./dlq/command.ts')
      process.exitCode = await dlq(rest, process.env)
      return
    }
    default:
      process.stdout.write(usage)
      process.exitCode = command && command !== 'help' ? 2 : 0
  }
}

const BENCH_MISSING =
  'cafe bench runs from a checkout of the repository after `npm ci`: this installation (an image?) has ' +
  'no @cafeteria/bench'

/** For a dynamic import's rejection: undefined when `name` itself is not installed, else rethrown. */
const unlessMissing =
  (name: string) =>
  (error: unknown): undefined => {
    const { code, message } = error as NodeJS.ErrnoException
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${name}'`)) return undefined
    throw error
  }

const OPEN_WARNING =
  "WARNING: open mode. No sign-in: anyone can read and cancel anyone's orders, set prices and act as\n" +
  'the barista. It reproduces the original walkthrough; never put it on a network you do not trust.'

/** The barista's screen and the token it asks for, which this run made: nobody else knows it. */
const staffBanner = (where: string, { token, file }: { token: string; file: string | undefined }) =>
  `\nbarista screen: ${where}/barista\n` +
  `staff token:    ${token}\n` +
  `                (${file ? `kept in ${file}` : 'a new one each run in memory'}; STAFF_TOKEN sets your own)\n`

const isOpen = (env: NodeJS.ProcessEnv) =>
  ['1', 'true', 'yes', 'on'].includes(env.OPEN_API?.toLowerCase() ?? '')

/** Graceful stop on SIGTERM (Kubernetes, the distributed runner) and SIGINT (Ctrl-C). */
function onSignal(stop: () => Promise<void>) {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`error while stopping on ${signal}:`, error)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
  // Started by a runner (`start --distributed`) that has gone: stop as if told to.
  if (process.connected) {
    process.once('disconnect', () => handler('SIGTERM'))
    process.channel?.unref()
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exit(1)
})

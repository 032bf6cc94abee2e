import assert from 'node:assert/strict'
import { readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { openLocalBus } from '../bus/local.ts'
import { configReader } from '../config.ts'
import { createLogger } from '../logger.ts'
import { type ServiceDefinition, startService } from '../service.ts'
import { tempDir } from '../testing/index.ts'
import { logFileSettings, serviceLogger } from './log-files.ts'

/** Lines written to the process's stdout logger, kept to compare with the file. */
function capture() {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, logger: createLogger({ level: 'info', destination }) }
}

const probe: ServiceDefinition<object> = {
  name: 'probe',
  migrations: [],
  routes(app) {
    app.get('/things/:id', { config: { access: 'public' } }, async (request) => ({
      id: (request.params as { id: string }).id,
    }))
  },
}

async function runOnce(dir: string, logger: ReturnType<typeof capture>['logger'], path: string) {
  const bus = openLocalBus({ path: ':memory:' })
  const service = await startService(probe, {
    env: {
      HOST: '127.0.0.1',
      AUTH_SECRET: 'a-test-secret-of-at-least-32-chars',
      PROBE_PORT: '0',
      LOG_DIR: dir,
    },
    bus,
    logger,
    defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
  })
  const answer = await fetch(`${service.url}${path}`, { headers: { 'x-request-id': `req-${path}` } })
  await answer.text()
  await fetch(`${service.url}/health/ready`).then((r) => r.text())
  await fetch(`${service.url}/metrics`).then((r) => r.text())
  await service.stop()
  await bus.close()
}

const fileLines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)

test('with LOG_DIR a service writes its lines to its own file too, and a restart appends', async () => {
  await using dir = await tempDir()
  const first = capture()
  await runOnce(dir.path, first.logger, '/things/1')
  const second = capture()
  await runOnce(dir.path, second.logger, '/things/2?x=1')

  const serviceDir = join(dir.path, 'probe')
  const files = (await readdir(serviceDir)).sort()
  const day = new Date()
  const stamp = [day.getFullYear(), day.getMonth() + 1, day.getDate()]
    .map((n) => String(n).padStart(2, '0'))
    .join('-')
  assert.deepEqual(files, ['current.log', `probe.${stamp}.1.log`])
  assert.equal(await readlink(join(serviceDir, 'current.log')), `probe.${stamp}.1.log`)

  const lines = await fileLines(join(serviceDir, 'current.log'))
  // Both runs, in order, in the one file; the same lines as stdout.
  assert.deepEqual(lines, [...first.lines, ...second.lines])
  assert.deepEqual(lines.map((l) => l.msg).filter(Boolean), [
    'service started',
    'request',
    'service stopped',
    'service started',
    'request',
    'service stopped',
  ])
  const requests = lines.filter((l) => l.msg === 'request')
  assert.equal(requests.length, 2, 'no line for /health/* and /metrics')
  for (const line of lines) assert.equal(line.service, 'probe')
  const [one, two] = requests
  assert.equal(one?.method, 'GET')
  assert.equal(one?.path, '/things/1')
  assert.equal(one?.status, 200)
  assert.equal(one?.bytes, '{"id":"1"}'.length)
  assert.equal(typeof one?.ms, 'number')
  assert.equal(one?.reqId, 'req-/things/1')
  assert.equal(one?.level, 'info')
  assert.equal(two?.path, '/things/2?x=1')
  assert.equal(two?.reqId, 'req-/things/2?x=1')
})

test('a file that reaches the size limit is followed by the next, and old ones are removed', async () => {
  await using dir = await tempDir()
  const settings = logFileSettings(
    configReader({ LOG_DIR: dir.path, LOG_FILE_MAX_MB: '1', LOG_FILE_KEEP: '2' }),
  )
  const { log, close } = await serviceLogger(capture().logger, 'bulky', settings)
  const filler = 'x'.repeat(1000)
  const rolled = async () => {
    const names = await readdir(join(dir.path, 'bulky')).catch(() => [] as string[])
    const files = names.filter((f) => f !== 'current.log')
    return { files, newest: Math.max(0, ...files.map((f) => Number(f.split('.').at(-2)))) }
  }
  // 100 KB at a time until the third file is begun (over 2 MB), however slowly the stream drains;
  // rolling that never happens stops at 10 MB.
  for (let chunk = 0; chunk < 100 && (await rolled()).newest < 3; chunk++) {
    for (let i = 0; i < 100; i++) log.info({ filler }, 'line')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await close()
  const { files, newest } = await rolled()
  assert.ok(newest >= 3, `rolled at 1 MB: ${files.join(', ')}`)
  assert.ok(files.length <= 3, `the oldest were removed: ${files.join(', ')}`)
  const current = await readlink(join(dir.path, 'bulky', 'current.log'))
  assert.equal(
    current,
    files.find((f) => f.endsWith(`.${newest}.log`)),
  )
})

test('a bad log file setting stops the start with a message naming it', () => {
  const read = configReader({ LOG_FILE_ROTATE: 'weekly', LOG_FILE_KEEP: '1' })
  logFileSettings(read)
  assert.throws(() => read.done(), /LOG_FILE_ROTATE.*\n.*LOG_FILE_KEEP/)
})

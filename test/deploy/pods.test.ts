import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { freePort } from '../../apps/cafe/src/process.ts'
import { serveOne } from '../../apps/cafe/src/serve.ts'
import { createLogger } from '../../packages/platform/src/index.ts'
import { type OwnNats, startOwnNats } from '../support/cluster.ts'
import { containerEnv, type K8sObject, ofKind, overlays, render, root, secretFile } from './manifests.ts'

/**
 * Each Deployment's container, run as its pod runs it (`cafe serve <service>`) in this process,
 * with the environment the manifests give it. Only addresses and secrets change: a nats-server of
 * the test's own that requires a user and password (given in the Secret's files, so a pod that
 * did not read them could not start), this machine's Redis, an in-memory database behind the
 * secret file, the other secret files in a temporary directory, a free port, a temporary log
 * directory, no shutdown delay. Every variable the manifests set must be one the service reads,
 * and every probe path and the metrics path must answer.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const stream = `K8S_${randomUUID().slice(0, 8).toUpperCase()}`
const logger = createLogger({ level: 'silent' })

/** Set in every run and read by nothing: proves that reads are recorded one by one. */
const UNREAD = 'CAFE_K8S_UNREAD_SETTING'

/** Variables the manifests set that no service code reads, and why. */
const readElsewhere: Record<string, string> = {
  // Expanded by the kubelet into LOG_DIR ($(POD_NAME)): one log directory per pod.
  POD_NAME: 'kubelet',
}

/** What the CLI reads from `process.env` before it serves (LOG_LEVEL): names in commands.ts. */
async function readByCli(): Promise<Set<string>> {
  const source = await readFile(join(root, 'apps/cafe/src/commands.ts'), 'utf8')
  return new Set([...source.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string))
}

let work: string
let cli: Set<string>
let nats: OwnNats
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cafe-k8s-'))
  cli = await readByCli()
  nats = await startOwnNats({ auth: 'user' })
})
after(async () => {
  await rm(work, { recursive: true, force: true })
  await nats?.stop()
})

/** The Secret files a back end signs in to NATS with, holding the test server's credentials. */
async function natsSecretFiles(name: string, local: Record<string, string>) {
  for (const key of ['NATS_USER', 'NATS_PASSWORD']) {
    assert.ok(local[`${key}_FILE`]?.startsWith('/run/secrets/'), `${name}: ${key}_FILE`)
    assert.equal(local[key], undefined, `${name}: ${key} is never a plain variable`)
    local[`${key}_FILE`] = join(work, `${name}.${key.toLowerCase()}`)
    await writeFile(local[`${key}_FILE`] as string, `${nats.env[key]}\n`)
  }
}

async function runAsPod(objects: readonly K8sObject[], deployment: K8sObject) {
  const name = deployment.metadata.name
  const { spec } = deployment.spec.template
  const env = containerEnv(objects, spec)
  const local: Record<string, string> = {}
  for (const [key, value] of env) if (value !== undefined) local[key] = value
  if (name !== 'gateway') {
    // Without these a service would use this machine's default stream and databases.
    assert.ok(local.NATS_URL && local.NATS_STREAM, `${name}: NATS_URL and NATS_STREAM`)
    assert.ok(local[`${name.toUpperCase()}_DATABASE_URL_FILE`], `${name}: its database URL file`)
    local.NATS_URL = nats.url
    local.NATS_STREAM = stream
    // The test's server is a single one, which keeps one replica only (JETSTREAM_REPLICAS is read,
    // and its value checked, in test/deploy/nats.test.ts).
    if (local.JETSTREAM_REPLICAS) local.JETSTREAM_REPLICAS = '1'
    await natsSecretFiles(name, local)
  }
  // The gateway's rate-limit counters (probes count nothing there).
  if (local.REDIS_URL) local.REDIS_URL = REDIS_URL
  const database = join(work, `${name}.database-url`)
  await writeFile(database, 'sqlite::memory:\n')
  for (const key of Object.keys(local)) if (key.endsWith('_DATABASE_URL_FILE')) local[key] = database
  // Every other secret file holds what its Secret holds or, where the Secret is created outside the
  // render (prod), a value as long as one made for real.
  for (const [key, path] of Object.entries(local)) {
    if (!key.endsWith('_FILE') || key.endsWith('_DATABASE_URL_FILE') || path.startsWith(work)) continue
    const file = join(work, `${name}.${key.toLowerCase()}`)
    await writeFile(
      file,
      `${secretFile(objects, spec, path)?.value ?? randomBytes(32).toString('base64url')}\n`,
    )
    local[key] = file
  }
  const logDir = await mkdtemp(join(work, `${name}-logs-`))
  if (local.LOG_DIR) local.LOG_DIR = logDir
  // Stopping at once: a shutdown delay is for balancers, and there are none here.
  local.SHUTDOWN_DELAY_MS = '0'
  local.HOST = '127.0.0.1'
  // The pod listens on its own IP; on this machine loopback is enough.
  if (local.SERVICE_HOST) local.SERVICE_HOST = '127.0.0.1'
  local[`${name.toUpperCase()}_PORT`] = '0'
  local[UNREAD] = 'x'
  // Scraped on a port of its own when the annotation names one other than the service's: the
  // variable that sets that port gets a free one here.
  const ownPort = `${name.toUpperCase()}_PORT`
  const scrapePort = deployment.spec.template.metadata.annotations?.['prometheus.io/port']
  const scrapeVariable = [...env].find(
    ([key, value]) => key.endsWith('_PORT') && key !== ownPort && value === scrapePort,
  )?.[0]
  if (scrapeVariable) local[scrapeVariable] = String(await freePort())

  const read = new Set<string>()
  const recording = new Proxy(local, {
    get(target, key) {
      if (typeof key === 'string') read.add(key)
      return Reflect.get(target, key)
    },
  })
  const service = await serveOne(name, recording, logger)
  const answers: Record<string, number> = {}
  try {
    const container = spec.containers[0]
    const paths = ['startupProbe', 'readinessProbe', 'livenessProbe'].map((probe) => [
      probe,
      container[probe].httpGet.path,
    ])
    for (const [what, path] of paths) {
      answers[`${what} ${path}`] = (await fetch(`${service.url}${path}`)).status
    }
    const scrapePath = deployment.spec.template.metadata.annotations?.['prometheus.io/path']
    const scrapeAt = scrapeVariable ? `http://127.0.0.1:${local[scrapeVariable]}` : service.url
    answers[`scrape ${scrapeAt}${scrapePath}`] = (await fetch(`${scrapeAt}${scrapePath}`)).status
  } finally {
    await service.close()
  }
  const logFiles = (await readdir(logDir, { recursive: true })).filter((f) => f.endsWith('.log'))
  return { names: [...env.keys()], read, answers, logFiles }
}

for (const overlay of overlays) {
  describe(`pods of deploy/k8s/overlays/${overlay}`, () => {
    const objects = render(overlay)
    for (const deployment of ofKind(objects, 'Deployment')) {
      const name = deployment.metadata.name
      test(`${name}: reads every variable it is given, answers its probes and scrapes`, async () => {
        const run = await runAsPod(objects, deployment)
        assert.equal(run.read.has(UNREAD), false, 'only variables actually read are recorded')
        const unread = run.names.filter((n) => !run.read.has(n) && !cli.has(n) && !(n in readElsewhere))
        assert.deepEqual(unread, [], `${name} is given variables it never reads`)
        for (const [probe, status] of Object.entries(run.answers)) assert.equal(status, 200, probe)
        assert.notDeepEqual(run.logFiles, [], `${name} writes its log under LOG_DIR`)
      })
    }
  })
}

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { freePort } from '../../apps/cafe/src/process.ts'
import { ConfigError, connectNats, natsSettings } from '../../packages/platform/src/index.ts'
import {
  configOf,
  containerEnv,
  dataOf,
  find,
  type K8sObject,
  ofKind,
  overlays,
  render,
  servicePorts,
} from './manifests.ts'

/**
 * The Secret the back ends sign in to NATS with (a generated one's name ends in a hash), and the
 * file each of its keys becomes.
 */
const SECRET = 'cafeteria-nats'
const isSecret = (name: string | undefined) =>
  name !== undefined && new RegExp(`^${SECRET}(-[a-z0-9]+)?$`).test(name)
const secretName = (objects: readonly K8sObject[]) =>
  objects.find((o) => o.kind === 'Secret' && isSecret(o.metadata.name))?.metadata.name ?? SECRET
const files = { NATS_USER: 'user', NATS_PASSWORD: 'password' }

const podOf = (objects: readonly K8sObject[], kind: string, name: string) => {
  const found = find(objects, kind, name)
  assert.ok(found, `no ${kind} ${name}`)
  return found.spec.template.spec
}

for (const overlay of overlays) {
  describe(`NATS credentials in deploy/k8s/overlays/${overlay}`, () => {
    const objects = render(overlay)

    test(`every back end signs in with the user and password of the Secret ${SECRET}, as files`, () => {
      for (const name of servicePorts.keys()) {
        const pod = podOf(objects, 'Deployment', name)
        const env = containerEnv(objects, pod)
        for (const plain of ['NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN', 'NATS_CREDS']) {
          assert.equal(env.has(plain), false, `${name}: ${plain} must not be a plain variable`)
        }
        if (name === 'gateway') {
          assert.equal(env.has('NATS_USER_FILE'), false, 'the gateway does not use NATS')
          continue
        }
        const container = pod.containers[0]
        for (const [key, path] of Object.entries(files)) {
          const file = env.get(`${key}_FILE`)
          assert.ok(file, `${name}: ${key}_FILE`)
          const mount = container.volumeMounts.find((m: any) => file === `${m.mountPath}/${path}`)
          const volume = pod.volumes.find((v: any) => v.name === mount?.name)
          assert.ok(isSecret(volume?.secret?.secretName), `${name}: ${file} is on the Secret ${SECRET}`)
          assert.ok(
            volume.secret.items.some((i: any) => i.key === key && i.path === path),
            `${name}: ${key} as ${path}`,
          )
          assert.equal(volume.secret.defaultMode, 0o440, `${name}: secret file mode`)
        }
      }
      const secret = dataOf(objects, 'Secret', secretName(objects))
      if (overlay === 'prod')
        assert.equal(secret, undefined, 'production credentials are never in the repository')
      else for (const key of Object.keys(files)) assert.ok(secret?.[key], `the Secret has ${key}`)
    })
  })
}

describe('the local NATS server', () => {
  const objects = render('local')
  const pod = podOf(objects, 'StatefulSet', 'nats')
  const container = pod.containers[0]
  const configFile = container.args.find((a: string) => a.startsWith('--config='))?.slice('--config='.length)

  test('reads its configuration from a ConfigMap and its credentials from the Secret the services use', () => {
    assert.ok(configFile, 'nats-server --config=…')
    const env = containerEnv(objects, pod)
    const secret = dataOf(objects, 'Secret', secretName(objects))
    for (const key of Object.keys(files)) assert.equal(env.get(key), secret?.[key], key)
    assert.ok(configOf(objects, pod, configFile), `${configFile} is on a ConfigMap volume`)
  })

  test('as configured, accepts the services’ credentials and refuses clients without them', async () => {
    const config = configOf(objects, pod, configFile)
    const work = await mkdtemp(join(tmpdir(), 'cafe-k8s-nats-'))
    const port = await freePort()
    // The store is the one setting the command line cannot override: it moves to a directory here.
    assert.match(config ?? '', /store_dir: \/data\n/)
    await writeFile(
      join(work, 'nats.conf'),
      (config ?? '').replace('store_dir: /data', `store_dir: "${work}"`),
    )
    // The Secret's values where the StatefulSet puts them; this machine's address and ports.
    const secret = dataOf(objects, 'Secret', secretName(objects)) ?? {}
    const args = ['-c', join(work, 'nats.conf'), '-a', '127.0.0.1', '-p', String(port)]
    args.push('-m', String(await freePort()))
    const server = spawn('/usr/sbin/nats-server', args, {
      env: { PATH: process.env.PATH, NATS_USER: secret.NATS_USER, NATS_PASSWORD: secret.NATS_PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    try {
      await ready(server)
      const url = `nats://127.0.0.1:${port}`
      const services = await connectNats(natsSettings({ NATS_URL: url, ...secret }))
      await services.flush()
      await services.close()
      await assert.rejects(connectNats(natsSettings({ NATS_URL: url })), ConfigError)
      const wrong = { NATS_URL: url, NATS_USER: secret.NATS_USER, NATS_PASSWORD: 'guessed' }
      await assert.rejects(connectNats(natsSettings(wrong)), ConfigError)
    } finally {
      if (server.exitCode === null) {
        const exited = once(server, 'exit')
        server.kill('SIGTERM')
        await exited
      }
      await rm(work, { recursive: true, force: true })
    }
  })
})

describe('the production NATS cluster', () => {
  const objects = render('prod')
  const set = find(objects, 'StatefulSet', 'nats')
  const pod = podOf(objects, 'StatefulSet', 'nats')
  const container = pod.containers[0]
  const configFile = container.args.find((a: string) => a.startsWith('--config='))?.slice('--config='.length)
  const config = configOf(objects, pod, configFile) ?? ''
  const nodes = ['nats-0', 'nats-1', 'nats-2']

  test('three nodes started together, each with its own store on a volume, one down at a time at most', () => {
    assert.equal(set?.spec.replicas, 3)
    assert.equal(set?.spec.podManagementPolicy, 'Parallel', 'a node waits for its peers to be ready')
    const store = container.volumeMounts.find((m: any) => m.name === 'data')
    assert.ok(store && set?.spec.volumeClaimTemplates?.some((c: any) => c.metadata.name === 'data'))
    assert.match(config, new RegExp(`store_dir: ${store.mountPath}\\n`), 'the store is on the volume')
    const labels = set?.spec.template.metadata.labels
    const budgets = ofKind(objects, 'PodDisruptionBudget').filter((b) =>
      Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v),
    )
    assert.deepEqual(
      budgets.map((b) => b.spec.maxUnavailable),
      [1],
      'a drain leaves two of three: the stream keeps its quorum',
    )
  })

  test('every write is synced to disk before it is acknowledged, on a nats-server that can', () => {
    const jetstream = config.match(/^jetstream\s*\{([^}]*)\}/m)?.[1] ?? ''
    assert.match(jetstream, /^\s*sync_interval: always$/m)
    // sync_interval appeared in nats-server 2.10.
    const [, major, minor] = container.image.match(/^nats:(\d+)\.(\d+)[\w.-]*$/) ?? []
    assert.ok(Number(major) > 2 || (Number(major) === 2 && Number(minor) >= 10), container.image)
  })

  test('the nodes route to one another through the headless Service, by their stable names', () => {
    const service = find(objects, 'Service', set?.spec.serviceName)
    assert.equal(service?.spec.clusterIP, 'None')
    assert.equal(service?.spec.publishNotReadyAddresses, true, 'routes form before readiness')
    const clusterPort = container.ports.find((p: any) => p.name === 'cluster')?.containerPort
    assert.ok(service?.spec.ports.some((p: any) => p.port === clusterPort))
    const block = config.match(/^cluster\s*\{([\s\S]*?)^\}/m)?.[1] ?? ''
    assert.match(block, new RegExp(`port: ${clusterPort}\\n`))
    const routes = [...block.matchAll(/nats:\/\/([\w.-]+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`)
    assert.deepEqual(
      routes,
      nodes.map((n) => `${n}.${service?.metadata.name}:${clusterPort}`),
    )
    // JetStream in a cluster needs a name per server: the pod's, stable across restarts.
    assert.match(config, /^server_name: \$POD_NAME$/m)
    assert.equal(containerEnv(objects, pod).get('POD_NAME'), '<metadata.name>')
  })

  test('every back end keeps each event on the three nodes and knows all three', () => {
    for (const name of servicePorts.keys()) {
      if (name === 'gateway') continue
      const env = containerEnv(objects, podOf(objects, 'Deployment', name))
      assert.equal(env.get('JETSTREAM_REPLICAS'), '3', name)
      assert.deepEqual(
        env.get('NATS_URL')?.split(','),
        nodes.map((n) => `nats://${n}.nats:4222`),
        name,
      )
    }
  })
})

async function ready(server: ChildProcess): Promise<void> {
  let log = ''
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk
  })
  const deadline = Date.now() + 10_000
  while (!log.includes('Server is ready')) {
    if (server.exitCode !== null) throw new Error(`nats-server exited:\n${log}`)
    if (Date.now() > deadline) throw new Error(`nats-server not ready:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

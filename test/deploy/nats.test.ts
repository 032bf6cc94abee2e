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

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  configOf,
  containerEnv,
  dataOf,
  find,
  type K8sObject,
  ofKind,
  overlays,
  preStopSeconds,
  render,
  secretFile,
  servicePorts,
  validate,
} from './manifests.ts'

/** Beyond the preStop sleep and the HTTP drain: events in hand, the outbox flush, closing pools. */
const SHUTDOWN_MARGIN_S = 5
const autoscaled = ['payment', 'point']

const subset = (part: Record<string, string> = {}, whole: Record<string, string> = {}) =>
  Object.entries(part).every(([key, value]) => whole[key] === value)

for (const overlay of overlays) {
  describe(`deploy/k8s/overlays/${overlay}`, () => {
    const objects = render(overlay)
    const deployment = (name: string) => {
      const found = find(objects, 'Deployment', name)
      assert.ok(found, `no Deployment ${name}`)
      return found
    }
    const pod = (name: string) => deployment(name).spec.template.spec
    const container = (name: string) => pod(name).containers[0]

    test('every object matches its Kubernetes schema', () => {
      assert.ok(objects.length > 0)
      for (const object of objects) {
        assert.doesNotThrow(() => validate(object), `${object.kind} ${object.metadata.name}`)
      }
    })

    test('one Deployment per service, running `cafe serve <service>` on the service port', () => {
      assert.deepEqual(
        ofKind(objects, 'Deployment')
          .map((d) => d.metadata.name)
          .sort(),
        [...servicePorts.keys()].sort(),
      )
      for (const [name, port] of servicePorts) {
        assert.deepEqual(container(name).args, ['serve', name], name)
        const env = containerEnv(objects, pod(name))
        const listens = Number(env.get(`${name.toUpperCase()}_PORT`) ?? port)
        const http = container(name).ports.find((p: any) => p.name === 'http')
        assert.equal(http?.containerPort, listens, `${name}: the http port is the one it listens on`)
      }
    })

    test('every Deployment has startup, readiness and liveness probes on its http port', () => {
      for (const name of servicePorts.keys()) {
        const c = container(name)
        assert.equal(c.startupProbe?.httpGet?.port, 'http', `${name} startupProbe`)
        assert.equal(c.readinessProbe?.httpGet?.path, '/health/ready', `${name} readinessProbe`)
        assert.equal(c.readinessProbe.httpGet.port, 'http', `${name} readinessProbe`)
        assert.equal(c.livenessProbe?.httpGet?.path, '/health/live', `${name} livenessProbe`)
        assert.equal(c.livenessProbe.httpGet.port, 'http', `${name} livenessProbe`)
      }
    })

    test('every pod is scraped for its metrics: a back end on its http port, the gateway on one its Service does not publish', () => {
      for (const [name, port] of servicePorts) {
        const annotations = deployment(name).spec.template.metadata.annotations ?? {}
        assert.equal(annotations['prometheus.io/scrape'], 'true', name)
        assert.equal(annotations['prometheus.io/path'], '/metrics', name)
        if (name !== 'gateway') {
          assert.equal(annotations['prometheus.io/port'], String(port), name)
          continue
        }
        const env = containerEnv(objects, pod(name))
        const metricsPort = annotations['prometheus.io/port']
        assert.equal(env.get('GATEWAY_METRICS_PORT'), metricsPort, 'the gateway serves them where scraped')
        assert.notEqual(metricsPort, String(port), 'not on the public port')
        const declared = container(name).ports.find((p: any) => String(p.containerPort) === metricsPort)
        assert.equal(declared?.name, 'metrics')
        const published = find(objects, 'Service', name)?.spec.ports.map((p: any) => p.targetPort)
        assert.deepEqual(published, ['http'], 'the public Service does not expose the metrics port')
        assert.equal(env.get('SERVICE_HOST'), '0.0.0.0', 'reachable by the pod IP')
      }
    })

    test('every Deployment requests CPU and memory and caps memory', () => {
      for (const name of servicePorts.keys()) {
        const { requests, limits } = container(name).resources ?? {}
        assert.ok(requests?.cpu && requests?.memory, `${name} requests`)
        assert.ok(limits?.memory, `${name} memory limit`)
      }
    })

    test('every pod runs as non-root, without capabilities, under seccomp; services read-only', () => {
      const namespace = ofKind(objects, 'Namespace')[0]
      assert.equal(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted')
      for (const workload of [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'StatefulSet')]) {
        const { name } = workload.metadata
        const spec = workload.spec.template.spec
        assert.equal(spec.securityContext?.runAsNonRoot, true, name)
        assert.ok(spec.securityContext.runAsUser > 0, `${name} runAsUser`)
        assert.equal(spec.securityContext.seccompProfile?.type, 'RuntimeDefault', name)
        assert.equal(spec.automountServiceAccountToken, false, name)
        for (const c of spec.containers) {
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, name)
          assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL'], name)
        }
      }
      for (const name of servicePorts.keys()) {
        assert.equal(container(name).securityContext.readOnlyRootFilesystem, true, name)
        // Service links would set ORDER_PORT=tcp://… in every pod, which the services read as ports.
        assert.equal(pod(name).enableServiceLinks, false, name)
      }
    })

    test('the grace period outlasts the preStop sleep, the drain and a margin', () => {
      for (const name of servicePorts.keys()) {
        const env = containerEnv(objects, pod(name))
        // Serving while balancers notice, then requests in flight: set explicitly, so that the sum
        // is of what the pod uses (the pod tests check that both are read).
        const [delayMs, timeoutMs] = ['SHUTDOWN_DELAY_MS', 'SHUTDOWN_TIMEOUT_MS'].map((key) => {
          const value = Number(env.get(key))
          assert.ok(Number.isInteger(value) && value >= 0, `${name}: ${key} is ${env.get(key)}`)
          return value
        }) as [number, number]
        const grace = pod(name).terminationGracePeriodSeconds
        const needed = preStopSeconds(container(name)) + (delayMs + timeoutMs) / 1000 + SHUTDOWN_MARGIN_S
        assert.ok(grace >= needed, `${name}: terminationGracePeriodSeconds ${grace} < ${needed}`)
      }
    })

    test('every Deployment has a Service and a PodDisruptionBudget selecting its pods', () => {
      for (const name of servicePorts.keys()) {
        const labels = deployment(name).spec.template.metadata.labels
        assert.ok(subset(deployment(name).spec.selector.matchLabels, labels), `${name} selector`)
        const service = find(objects, 'Service', name)
        assert.ok(service && subset(service.spec.selector, labels), `${name}: Service selects its pods`)
        assert.deepEqual(
          service.spec.ports.map((p: any) => p.targetPort),
          ['http'],
          `${name}: Service port`,
        )
        assert.equal(service.spec.type, name === 'gateway' ? 'LoadBalancer' : undefined, `${name} type`)
        const budgets = ofKind(objects, 'PodDisruptionBudget').filter((b) =>
          subset(b.spec.selector.matchLabels, labels),
        )
        assert.equal(budgets.length, 1, `${name}: one PodDisruptionBudget`)
        // minAvailable equal to the replicas would block every node drain.
        assert.ok(budgets[0]?.spec.maxUnavailable >= 1, `${name}: PDB maxUnavailable`)
      }
    })

    test('payment and point scale on CPU from 1 to 10 replicas; the others do not autoscale', () => {
      const hpas = ofKind(objects, 'HorizontalPodAutoscaler')
      assert.deepEqual(hpas.map((h) => h.spec.scaleTargetRef.name).sort(), autoscaled)
      for (const hpa of hpas) {
        const target = hpa.spec.scaleTargetRef
        assert.equal(hpa.apiVersion, 'autoscaling/v2')
        assert.deepEqual([target.apiVersion, target.kind], ['apps/v1', 'Deployment'])
        assert.equal(hpa.spec.minReplicas, 1)
        assert.equal(hpa.spec.maxReplicas, 10)
        assert.deepEqual(
          hpa.spec.metrics.map((m: any) => [m.type, m.resource?.name, m.resource?.target?.type]),
          [['Resource', 'cpu', 'Utilization']],
        )
        // A fixed count would be reset by every `kubectl apply`, fighting the autoscaler.
        assert.equal(deployment(target.name).spec.replicas, undefined, `${target.name} replicas`)
      }
    })

    test('objects carry the recommended labels', () => {
      for (const object of objects) {
        const labels = object.metadata.labels ?? {}
        const where = `${object.kind} ${object.metadata.name}`
        assert.equal(labels['app.kubernetes.io/part-of'], 'cafeteria', where)
        assert.equal(labels['app.kubernetes.io/managed-by'], 'kustomize', where)
        if (['Namespace', 'ConfigMap', 'Secret'].includes(object.kind)) continue
        assert.ok(labels['app.kubernetes.io/name'], `${where}: name`)
        assert.equal(labels['app.kubernetes.io/instance'], 'cafeteria', `${where}: instance`)
        assert.ok(labels['app.kubernetes.io/component'], `${where}: component`)
      }
      for (const name of servicePorts.keys()) {
        const labels = deployment(name).spec.template.metadata.labels
        assert.equal(labels['app.kubernetes.io/name'], name)
        assert.equal(labels['app.kubernetes.io/part-of'], 'cafeteria')
      }
    })

    test("each database URL comes from a secret file holding only that service's own", () => {
      for (const name of servicePorts.keys()) {
        const env = containerEnv(objects, pod(name))
        const variable = `${name.toUpperCase()}_DATABASE_URL`
        assert.equal(env.has(variable), false, `${name}: ${variable} must not be a plain variable`)
        if (name === 'gateway') {
          assert.equal(env.has(`${variable}_FILE`), false)
          continue
        }
        const file = env.get(`${variable}_FILE`)
        assert.ok(file, `${name}: ${variable}_FILE`)
        const mount = container(name).volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`))
        const volume = pod(name).volumes.find((v: any) => v.name === mount?.name)
        assert.ok(volume?.secret, `${name}: ${file} is on a Secret volume`)
        assert.deepEqual(
          volume.secret.items,
          [{ key: variable, path: file.slice(mount.mountPath.length + 1) }],
          `${name}: the volume holds its own URL only`,
        )
        assert.equal(volume.secret.defaultMode, 0o440, `${name}: secret file mode`)
        const secret = dataOf(objects, 'Secret', volume.secret.secretName)
        if (overlay === 'prod') {
          assert.equal(secret, undefined, 'production credentials are never in the repository')
        } else {
          assert.ok(secret?.[variable], `${name}: the Secret has ${variable}`)
        }
      }
    })

    test("the sessions' secret (every service) and the staff token (drink) come from secret files", () => {
      for (const name of servicePorts.keys()) {
        const env = containerEnv(objects, pod(name))
        for (const [variable, minLength] of [
          ['AUTH_SECRET', 32],
          ['STAFF_TOKEN', 24],
        ] as const) {
          assert.equal(env.has(variable), false, `${name}: ${variable} must not be a plain variable`)
          const file = env.get(`${variable}_FILE`)
          if (variable === 'STAFF_TOKEN' && name !== 'drink') {
            assert.equal(file, undefined, `${name} has no staff routes`)
            continue
          }
          assert.ok(file, `${name}: ${variable}_FILE`)
          const source = secretFile(objects, pod(name), file)
          assert.equal(source?.key, variable, `${name}: ${file} is ${variable} on a Secret volume`)
          assert.equal(source.defaultMode, 0o440, `${name}: secret file mode`)
          if (overlay === 'prod') {
            assert.equal(source.value, undefined, 'production secrets are never in the repository')
          } else {
            assert.ok((source.value?.length ?? 0) >= minLength, `${name}: ${variable} is long enough`)
          }
        }
      }
    })

    test('log files go to a PersistentVolumeClaim, a directory per pod', () => {
      for (const name of servicePorts.keys()) {
        const env = containerEnv(objects, pod(name))
        const dir = env.get('LOG_DIR')
        assert.ok(dir, `${name}: LOG_DIR`)
        assert.ok(dir.endsWith('/<metadata.name>'), `${name}: LOG_DIR ${dir} ends with the pod's name`)
        const mount = container(name).volumeMounts.find((m: any) => dir.startsWith(`${m.mountPath}/`))
        const volume = pod(name).volumes.find((v: any) => v.name === mount?.name)
        const claim = volume?.persistentVolumeClaim?.claimName
        assert.ok(claim && find(objects, 'PersistentVolumeClaim', claim), `${name}: ${dir} is on a PVC`)
      }
    })

    test('every in-cluster address in the settings is a Service and port of the render', () => {
      const addresses: string[] = []
      for (const name of servicePorts.keys()) {
        for (const value of containerEnv(objects, pod(name)).values()) if (value) addresses.push(value)
      }
      for (const secret of ofKind(objects, 'Secret')) {
        addresses.push(...Object.values(dataOf(objects, 'Secret', secret.metadata.name) ?? {}))
      }
      // NATS_URL may list several servers, comma-separated.
      const urls = addresses
        .filter((value) => /^[a-z]+:\/\//.test(value))
        .flatMap((value) => value.split(','))
        .map((value) => new URL(value.trim()))
      const inCluster = urls.filter((url) => !url.hostname.includes('.'))
      assert.ok(inCluster.length >= 6, 'the services reach each other by Service name')
      for (const url of inCluster) {
        const service = find(objects, 'Service', url.hostname)
        const ports = service?.spec.ports.map((p: any) => String(p.port)) ?? []
        assert.ok(ports.includes(url.port), `${url.protocol}//${url.host}: no such Service port`)
      }
      // A StatefulSet's pod by its own name: <set>-<ordinal>.<its headless Service>.
      for (const url of urls.filter((u) => /^[a-z-]+-\d+\.[a-z-]+$/.test(u.hostname))) {
        const [podName = '', serviceName = ''] = url.hostname.split('.')
        const ordinal = Number(podName.slice(podName.lastIndexOf('-') + 1))
        const set = find(objects, 'StatefulSet', podName.slice(0, podName.lastIndexOf('-')))
        assert.ok(set && set.spec.serviceName === serviceName, `${url.host}: no such StatefulSet`)
        assert.ok(ordinal < set.spec.replicas, `${url.host}: ${set.spec.replicas} replicas only`)
        const service = find(objects, 'Service', serviceName)
        assert.equal(service?.spec.clusterIP, 'None', `${serviceName}: headless`)
        const ports = service?.spec.ports.map((p: any) => String(p.port)) ?? []
        assert.ok(ports.includes(url.port), `${url.protocol}//${url.host}: no such Service port`)
      }
    })
  })
}

test('local runs PostgreSQL, MariaDB and NATS JetStream in the cluster, on volumes', () => {
  const objects: K8sObject[] = render('local')
  for (const name of ['postgres', 'mariadb', 'nats']) {
    const set = find(objects, 'StatefulSet', name)
    assert.ok(set, `StatefulSet ${name}`)
    assert.equal(set.spec.volumeClaimTemplates?.length, 1, `${name} keeps its data on a volume`)
    assert.ok(find(objects, 'Service', name), `Service ${name}`)
  }
  const pod = find(objects, 'StatefulSet', 'nats')?.spec.template.spec
  const args: string[] = [...pod.containers[0].command, ...pod.containers[0].args]
  const config = args.find((a) => a.startsWith('--config='))?.slice('--config='.length)
  const jetStream =
    args.some((arg) => ['-js', '--jetstream'].includes(arg)) ||
    /^jetstream\s*\{/m.test((config && configOf(objects, pod, config)) ?? '')
  assert.ok(jetStream, 'nats-server runs JetStream (a flag or its config file)')
})

test('prod runs no database of its own, NATS JetStream in the cluster, and takes its image from the registry', () => {
  const objects = render('prod')
  assert.deepEqual(
    ofKind(objects, 'StatefulSet').map((s) => s.metadata.name),
    ['nats'],
  )
  for (const d of ofKind(objects, 'Deployment')) {
    assert.match(d.spec.template.spec.containers[0].image, /^ghcr\.io\/[^/]+\/cafeteria:[\w.-]+$/)
  }
})

test('the gateway sees client addresses and its replicas count rate limits together in Redis', () => {
  for (const overlay of overlays) {
    const objects = render(overlay)
    const gateway = find(objects, 'Deployment', 'gateway')
    assert.match(containerEnv(objects, gateway?.spec.template.spec).get('REDIS_URL') ?? '', /^rediss?:\/\//)
    // The default (Cluster) would show every customer as a node's address.
    assert.equal(find(objects, 'Service', 'gateway')?.spec.externalTrafficPolicy, 'Local', overlay)
  }
  const redis = find(render('local'), 'StatefulSet', 'redis')
  assert.ok(redis && find(render('local'), 'Service', 'redis'), 'local runs Redis')
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type K8sObject, ofKind, overlays, render } from './manifests.ts'
import { allows, type Endpoint, podsOf } from './network.ts'

/** The label a namespace needs for its Prometheus to scrape the pods (docs/OPERATIONS.md). */
const SCRAPE_LABEL = { 'cafeteria.io/scrape': 'true' }

const tcp = (port: number, name?: string) => ({ port, protocol: 'TCP', ...(name && { name }) })
const elsewhere = (namespace: string, labels: Record<string, string>, nsLabels = {}) => ({
  name: { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace, ...nsLabels } },
  labels,
})

/** Who else is on the network: clients, the scraper, the DNS, servers outside the cluster. */
const others: Endpoint[] = [
  { name: 'internet', ip: '203.0.113.7', ports: [tcp(443)] },
  { name: 'other-namespace', ...ns(elsewhere('shop', { app: 'shop' })), ports: [tcp(80)] },
  {
    name: 'monitoring',
    ...ns(elsewhere('monitoring', { 'app.kubernetes.io/name': 'prometheus' }, SCRAPE_LABEL)),
    ports: [tcp(9090)],
  },
  {
    name: 'kube-dns',
    ...ns(elsewhere('kube-system', { 'k8s-app': 'kube-dns' })),
    ports: [tcp(53), { port: 53, protocol: 'UDP' }],
  },
  // prod's managed PostgreSQL and MariaDB, at an address outside the cluster; and a NATS there,
  // which nothing may reach now that prod runs its own.
  { name: 'managed', ip: '10.20.0.5', ports: [tcp(5432), tcp(3306), tcp(4222)] },
]

function ns(where: ReturnType<typeof elsewhere>) {
  return { namespace: where.name, labels: where.labels }
}

const backends = ['order', 'payment', 'drink', 'customercenter', 'point']
const postgresUsers = ['order', 'payment', 'drink', 'customercenter']
/** Anyone outside the namespace, of the cluster or not. */
const outside = others.map((o) => o.name)

/**
 * What each pod admits, as `from → to:port/protocol`, whatever the sender's own egress allows: the
 * gateway's http port anyone; only the gateway the services' routes, and order those of payment and
 * point; the labelled monitoring namespace every metrics port; a database or broker its users
 * only. Nothing else: not a pod added to the namespace later ("stranger"), not NATS's monitor port.
 */
function admitted(overlay: string, everyone: readonly string[]): string[] {
  return pairs([
    ['gateway:8080/TCP', everyone.filter((name) => name !== 'gateway')],
    ['gateway:9080/TCP', ['monitoring']],
    ['order:8081/TCP', ['gateway', 'monitoring']],
    ['payment:8082/TCP', ['gateway', 'order', 'monitoring']],
    ['drink:8083/TCP', ['gateway', 'monitoring']],
    ['customercenter:8084/TCP', ['gateway', 'monitoring']],
    ['point:8085/TCP', ['gateway', 'order', 'monitoring']],
    ...(overlay === 'local'
      ? ([
          ['postgres:5432/TCP', postgresUsers],
          ['mariadb:3306/TCP', ['point']],
          ['nats:4222/TCP', backends],
        ] as const)
      : ([['nats:4222/TCP', backends]] as const)),
  ])
}

/**
 * What may reach what, both ends consenting: a pod sends only what its service needs (the DNS; the
 * gateway the services; order payment and point; the back ends their database and NATS, in the
 * cluster or, in prod, outside it), so nothing of the namespace calls the gateway or the internet.
 */
function reachable(overlay: string, pods: readonly string[]): string[] {
  return pairs([
    ['gateway:8080/TCP', outside],
    ['gateway:9080/TCP', ['monitoring']],
    ['order:8081/TCP', ['gateway', 'monitoring']],
    ['payment:8082/TCP', ['gateway', 'order', 'monitoring']],
    ['drink:8083/TCP', ['gateway', 'monitoring']],
    ['customercenter:8084/TCP', ['gateway', 'monitoring']],
    ['point:8085/TCP', ['gateway', 'order', 'monitoring']],
    ['kube-dns:53/TCP', pods],
    ['kube-dns:53/UDP', pods],
    ...(overlay === 'local'
      ? ([
          ['postgres:5432/TCP', postgresUsers],
          ['mariadb:3306/TCP', ['point']],
          ['nats:4222/TCP', backends],
        ] as const)
      : ([
          ['managed:5432/TCP', postgresUsers],
          ['managed:3306/TCP', ['point']],
          ['nats:4222/TCP', backends],
        ] as const)),
  ])
}

const pairs = (table: ReadonlyArray<readonly [string, readonly string[]]>) =>
  table.flatMap(([to, froms]) => froms.map((from) => `${from} → ${to}`)).sort()

/**
 * The pairs the policies allow: to a pod of the namespace, or (both ends consenting) to or from
 * one.
 */
function evaluate(
  objects: readonly K8sObject[],
  endpoints: readonly Endpoint[],
  inside: Set<string>,
  ingressOnly: boolean,
): string[] {
  const found: string[] = []
  for (const from of endpoints) {
    for (const to of endpoints) {
      if (from === to) continue
      if (ingressOnly ? !inside.has(to.name) : !inside.has(from.name) && !inside.has(to.name)) continue
      for (const port of to.ports) {
        if (allows(objects, from, to, port, { ingressOnly })) {
          found.push(`${from.name} → ${to.name}:${port.port}/${port.protocol}`)
        }
      }
    }
  }
  return found.sort()
}

for (const overlay of overlays) {
  describe(`network policies of deploy/k8s/overlays/${overlay}`, () => {
    const objects = render(overlay)
    const pods = podsOf(objects)
    const namespace = pods[0]?.namespace
    assert.ok(namespace)
    // A pod someone adds to the namespace later: a debugging shell, a job.
    const stranger: Endpoint = { name: 'stranger', namespace, labels: { app: 'debug' }, ports: [tcp(8000)] }

    test('every pod of the namespace is isolated both ways unless a policy says otherwise', () => {
      const denyAll = ofKind(objects, 'NetworkPolicy').filter(
        (p) =>
          Object.keys(p.spec.podSelector).length === 0 &&
          p.spec.ingress === undefined &&
          p.spec.egress === undefined,
      )
      assert.equal(denyAll.length, 1, 'one default-deny policy')
      assert.deepEqual([...(denyAll[0]?.spec.policyTypes ?? [])].sort(), ['Egress', 'Ingress'])
    })

    const endpoints = [...pods, stranger, ...others]
    const inside = new Set([...pods, stranger].map((p) => p.name))

    test('what each pod admits, port by port, whatever the sender may send', () => {
      const everyone = endpoints.map((e) => e.name)
      assert.deepEqual(evaluate(objects, endpoints, inside, true), admitted(overlay, everyone))
    })

    test('who may reach whom, port by port, both ends consenting', () => {
      assert.deepEqual(evaluate(objects, endpoints, inside, false), reachable(overlay, [...inside]))
    })

    test('NATS nodes reach one another on the cluster port, and nothing else does', () => {
      const nats = pods.find((p) => p.name === 'nats') as Endpoint
      const cluster = nats.ports.find((p) => p.name === 'cluster')
      if (overlay === 'local') {
        assert.equal(cluster, undefined, 'one node, no routes')
        return
      }
      assert.ok(cluster, 'the cluster port')
      // Another pod of the same StatefulSet: the matrix above never pairs an endpoint with itself.
      const peer: Endpoint = { ...nats, name: 'nats-peer' }
      assert.ok(allows(objects, peer, nats, cluster), 'nats → nats:6222')
      for (const from of [...pods, stranger, ...others].filter((e) => e.name !== 'nats')) {
        assert.ok(!allows(objects, from, nats, cluster), `${from.name} → nats:${cluster.port}`)
      }
    })

    test('the scraper reaches each pod on the port its prometheus.io/port annotation names', () => {
      const monitoring = others.find((o) => o.name === 'monitoring') as Endpoint
      const unlabelled = others.find((o) => o.name === 'other-namespace') as Endpoint
      for (const workload of ofKind(objects, 'Deployment')) {
        const annotated = Number(workload.spec.template.metadata.annotations?.['prometheus.io/port'])
        const pod = pods.find((p) => p.name === workload.metadata.name) as Endpoint
        const port = pod.ports.find((p) => p.port === annotated)
        assert.ok(port, `${pod.name} listens on ${annotated}`)
        assert.ok(allows(objects, monitoring, pod, port), `monitoring → ${pod.name}:${annotated}`)
        if (pod.name !== 'gateway') {
          assert.ok(!allows(objects, unlabelled, pod, port), `only a labelled namespace scrapes ${pod.name}`)
        }
      }
    })
  })
}

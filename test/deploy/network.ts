import type { K8sObject } from './manifests.ts'

/**
 * A small evaluator of NetworkPolicies, enough to read off who may reach whom in a render: pod and
 * namespace selectors (matchLabels, matchExpressions), ipBlocks, numbered and named ports, and
 * isolation (a pod selected by a policy of a type accepts only what some such policy allows). A
 * connection needs both ends' consent: the source's egress and the destination's ingress.
 * As implementations differ on whether an ipBlock matches pod addresses, here it matches only
 * addresses outside the cluster.
 */

export interface Port {
  readonly port: number
  readonly protocol: string
  readonly name?: string
}

/** A pod (of the render or elsewhere in the cluster) or an address outside the cluster. */
export interface Endpoint {
  readonly name: string
  /** A pod's namespace and that namespace's labels; absent for an address outside the cluster. */
  readonly namespace?: { readonly name: string; readonly labels: Readonly<Record<string, string>> }
  readonly labels?: Readonly<Record<string, string>>
  /** An outside address (IPv4). */
  readonly ip?: string
  /** What it listens on. */
  readonly ports: readonly Port[]
}

interface Selector {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}

interface Peer {
  podSelector?: Selector
  namespaceSelector?: Selector
  ipBlock?: { cidr: string; except?: string[] }
}

interface PolicyPort {
  port?: number | string
  endPort?: number
  protocol?: string
}

interface Rule {
  peers?: Peer[]
  ports?: PolicyPort[]
}

export function matches(selector: Selector, labels: Readonly<Record<string, string>> = {}): boolean {
  const equal = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
  return (
    equal &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key] as string)
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key] as string)
        case 'Exists':
          return key in labels
        case 'DoesNotExist':
          return !(key in labels)
        default:
          throw new Error(`unknown selector operator ${operator}`)
      }
    })
  )
}

/** The pods a render runs (Deployments and StatefulSets), in its namespace, with their ports. */
export function podsOf(objects: readonly K8sObject[]): Endpoint[] {
  const namespace = objects.find((o) => o.kind === 'Namespace')
  if (!namespace) throw new Error('the render has no Namespace')
  const name = namespace.metadata.name
  // The API server labels every namespace with its own name.
  const labels = { ...namespace.metadata.labels, 'kubernetes.io/metadata.name': name }
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((workload) => ({
      name: workload.metadata.name,
      namespace: { name, labels },
      labels: workload.spec.template.metadata.labels,
      ports: workload.spec.template.spec.containers.flatMap((c: any) =>
        (c.ports ?? []).map((p: any) => ({
          port: p.containerPort,
          protocol: p.protocol ?? 'TCP',
          name: p.name,
        })),
      ),
    }))
}

/**
 * Whether `from` may open a connection to `to` on `port`, under the render's policies. With
 * `ingressOnly`, as if the source's egress were open: what the destination alone admits.
 */
export function allows(
  objects: readonly K8sObject[],
  from: Endpoint,
  to: Endpoint,
  port: Port,
  { ingressOnly = false } = {},
): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
  const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata.name
  const rules = (pod: Endpoint, type: 'Ingress' | 'Egress'): Rule[] | undefined => {
    if (pod.namespace?.name !== namespace) return undefined
    const selecting = policies.filter(
      (p) => typesOf(p).includes(type) && matches(p.spec.podSelector, pod.labels),
    )
    if (selecting.length === 0) return undefined
    return selecting.flatMap((p) =>
      type === 'Ingress'
        ? (p.spec.ingress ?? []).map((r: any) => ({ peers: r.from, ports: r.ports }))
        : (p.spec.egress ?? []).map((r: any) => ({ peers: r.to, ports: r.ports })),
    )
  }
  const admitted = (rules: Rule[] | undefined, peer: Endpoint) =>
    rules === undefined ||
    rules.some(
      (rule) =>
        (rule.peers === undefined ||
          rule.peers.length === 0 ||
          rule.peers.some((p) => peerMatches(p, namespace, peer))) &&
        (rule.ports === undefined ||
          rule.ports.length === 0 ||
          rule.ports.some((p) => portMatches(p, to, port))),
    )
  return (ingressOnly || admitted(rules(from, 'Egress'), to)) && admitted(rules(to, 'Ingress'), from)
}

function typesOf(policy: K8sObject): string[] {
  // The API server's default: Ingress always, Egress when there are egress rules.
  return policy.spec.policyTypes ?? ['Ingress', ...(policy.spec.egress ? ['Egress'] : [])]
}

function peerMatches(peer: Peer, policyNamespace: string | undefined, endpoint: Endpoint): boolean {
  if (peer.ipBlock) {
    const { cidr, except = [] } = peer.ipBlock
    return (
      endpoint.ip !== undefined &&
      inCidr(endpoint.ip, cidr) &&
      !except.some((e) => inCidr(endpoint.ip as string, e))
    )
  }
  if (!endpoint.namespace) return false
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, endpoint.namespace.labels)
    : endpoint.namespace.name === policyNamespace
  return namespaceOk && (peer.podSelector === undefined || matches(peer.podSelector, endpoint.labels))
}

/** A named port is the destination's port of that name. */
function portMatches(rule: PolicyPort, to: Endpoint, port: Port): boolean {
  if ((rule.protocol ?? 'TCP') !== port.protocol) return false
  if (rule.port === undefined) return true
  if (typeof rule.port === 'string') {
    return to.ports.some((p) => p.name === rule.port && p.port === port.port && p.protocol === port.protocol)
  }
  return port.port >= rule.port && port.port <= (rule.endPort ?? rule.port)
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/')
  const number = (address: string) => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
  const size = 2 ** (32 - Number(bits))
  return Math.floor(number(ip) / size) === Math.floor(number(base) / size)
}

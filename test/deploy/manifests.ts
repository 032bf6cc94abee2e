import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// One module per kind: the group indexes load every schema of the group.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { parseAllDocuments } from 'yaml'
import { GATEWAY_PORT, services } from '../../apps/cafe/src/services.ts'

export const root = fileURLToPath(new URL('../../', import.meta.url))
export const overlays = ['local', 'prod'] as const

/** Every service of the system and the port it listens on unless `<SERVICE>_PORT` says otherwise. */
export const servicePorts: ReadonlyMap<string, number> = new Map([
  ['gateway', GATEWAY_PORT],
  ...services.map((s) => [s.definition.name, s.port] as const),
])

/** A rendered Kubernetes object; its shape is checked by `validate`, so fields are read loosely. */
export interface K8sObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> }
  readonly [field: string]: any
}

const rendered = new Map<string, K8sObject[]>()

/**
 * `kubectl kustomize` of one overlay, as the cluster would receive it from `kubectl apply -k`;
 * rendered once per process (the tests only read it).
 */
export function render(overlay: string): K8sObject[] {
  let objects = rendered.get(overlay)
  if (!objects) {
    objects = renderNow(overlay)
    rendered.set(overlay, objects)
  }
  return objects
}

function renderNow(overlay: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', join(root, 'deploy/k8s/overlays', overlay)], {
    encoding: 'utf8',
  })
  return parseAllDocuments(output).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0]
    const object = doc.toJS() as K8sObject
    // kustomize folds long base64 over lines, which the API server's decoder skips.
    if (object.kind === 'Secret' && object.data) {
      for (const key of Object.keys(object.data)) object.data[key] = object.data[key].replace(/\s/g, '')
    }
    return object
  })
}

const models: Record<string, { new (data: any): { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
}

/** Throws unless the object matches its Kubernetes schema (types, required fields, formats). */
export function validate(object: K8sObject): void {
  const Model = models[`${object.apiVersion}/${object.kind}`]
  if (!Model) throw new Error(`no schema known for ${object.apiVersion} ${object.kind}`)
  new Model(object).validate()
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name)
}

export function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind)
}

/**
 * The environment a pod's first container gets, as the kubelet builds it: `envFrom` ConfigMaps and
 * Secrets in order, then `env`, whose `$(NAME)` references expand to the names defined before
 * them. A value from a Secret missing from the render (created outside it) is `undefined`;
 * a field reference is `<fieldPath>`.
 */
export function containerEnv(objects: readonly K8sObject[], pod: any): Map<string, string | undefined> {
  const container = pod.containers[0]
  const env = new Map<string, string | undefined>()
  for (const from of container.envFrom ?? []) {
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret'
    const { name } = from.configMapRef ?? from.secretRef
    const data = dataOf(objects, kind, name)
    if (!data) throw new Error(`${kind} ${name}, whose keys become variables, is not in the render`)
    for (const [key, value] of Object.entries(data)) env.set(`${from.prefix ?? ''}${key}`, value)
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom
    if (!ref) env.set(entry.name, expand(entry.value ?? '', env))
    else if (ref.configMapKeyRef) {
      const data = dataOf(objects, 'ConfigMap', ref.configMapKeyRef.name)
      if (!data) throw new Error(`ConfigMap ${ref.configMapKeyRef.name} is not in the render`)
      env.set(entry.name, data[ref.configMapKeyRef.key])
    } else if (ref.secretKeyRef) {
      env.set(entry.name, dataOf(objects, 'Secret', ref.secretKeyRef.name)?.[ref.secretKeyRef.key])
    } else if (ref.fieldRef) env.set(entry.name, `<${ref.fieldRef.fieldPath}>`)
    else env.set(entry.name, undefined)
  }
  return env
}

/** A ConfigMap's or Secret's entries as text (a Secret's `data` is base64). */
export function dataOf(
  objects: readonly K8sObject[],
  kind: 'ConfigMap' | 'Secret',
  name: string,
): Record<string, string> | undefined {
  const found = find(objects, kind, name)
  if (!found) return undefined
  const data: Record<string, string> = { ...found.data }
  if (kind === 'Secret') {
    for (const [key, value] of Object.entries(data)) data[key] = Buffer.from(value, 'base64').toString('utf8')
  }
  return { ...data, ...found.stringData }
}

/**
 * Where a file of a pod's first container comes from when it is on a Secret volume: the Secret,
 * the key, the file's mode, and the value (undefined when the Secret is created outside the render).
 */
export function secretFile(objects: readonly K8sObject[], pod: any, path: string) {
  const mount = pod.containers[0].volumeMounts?.find((m: any) => path.startsWith(`${m.mountPath}/`))
  const volume = pod.volumes?.find((v: any) => v.name === mount?.name)
  const item = volume?.secret?.items?.find((i: any) => i.path === path.slice(mount.mountPath.length + 1))
  if (!item) return undefined
  const { secretName, defaultMode } = volume.secret
  const value: string | undefined = dataOf(objects, 'Secret', secretName)?.[item.key]
  return { secretName, key: item.key as string, defaultMode: defaultMode as number, value }
}

function expand(value: string, env: ReadonlyMap<string, string | undefined>): string {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env.get(name) ?? whole)
}

/** The text of the file the container reads at `path`, from the ConfigMap mounted there. */
export function configOf(objects: readonly K8sObject[], pod: any, path: string): string | undefined {
  const mount = pod.containers[0].volumeMounts.find((m: any) => path.startsWith(`${m.mountPath}/`))
  const volume = pod.volumes.find((v: any) => v.name === mount?.name)
  if (!volume?.configMap) return undefined
  return dataOf(objects, 'ConfigMap', volume.configMap.name)?.[path.slice(mount.mountPath.length + 1)]
}

/** The seconds a container's preStop hook waits: `exec: [sleep, N]` or the `sleep` action. */
export function preStopSeconds(container: any): number {
  const hook = container.lifecycle?.preStop
  if (hook?.sleep) return Number(hook.sleep.seconds)
  const command: string[] = hook?.exec?.command ?? []
  if (command[0] !== 'sleep' || command.length !== 2) {
    throw new Error(`${container.name}: preStop is not a sleep (${JSON.stringify(hook)})`)
  }
  return Number(command[1])
}

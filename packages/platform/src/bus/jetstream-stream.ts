import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream'
import { JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { ConfigError } from '../config.ts'
import type { BusLogger, StreamLosses } from './port.ts'

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000
/** JSStreamNameExistErr: the stream exists with another configuration. */
const EXISTS_OTHERWISE = 10058
/** JSStreamReplicasNotSupportedErr: more than one replica asked of a server that is not clustered. */
const REPLICAS_NOT_SUPPORTED = 10074
/** JSClusterNoPeersErr: fewer servers in the cluster than the replicas asked for. */
const NO_SUITABLE_PEERS = 10005

export type StreamSettings = ReturnType<typeof streamConfig>

export function streamConfig(name: string, prefix: string, duplicateWindowMs: number, replicas: number) {
  return {
    name,
    subjects: [`${prefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: replicas,
    duplicate_window: nanos(duplicateWindowMs),
    max_age: nanos(SEVEN_DAYS_MS),
  } satisfies Partial<StreamConfig>
}

/**
 * Creates the stream, or brings an existing one to `config`. Adding an identical stream is a no-op
 * on the server, so every replica of every service runs this at boot. A stream that exists with
 * another configuration (a new duplicate window, another replica count) is updated: nats-server 2.9
 * moves a clustered stream between 1 and 5 replicas in place, copying its messages to the new
 * peers; storage and retention are immutable. Asking for more replicas than the servers can hold
 * is a configuration error, reported as one.
 */
export async function upsertStream(
  jsm: JetStreamManager,
  config: StreamSettings,
  logger: BusLogger,
): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(config).catch((err) => refuseReplicas(err, config))
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== EXISTS_OTHERWISE) throw err
    const { name, storage: _storage, retention: _retention, ...mutable } = config
    const before = await jsm.streams.info(name)
    const updated = await jsm.streams.update(name, mutable).catch((e) => refuseReplicas(e, config))
    if (before.config.num_replicas !== config.num_replicas) {
      logger.warn(
        { stream: name, from: before.config.num_replicas, to: config.num_replicas },
        'stream replicas changed to JETSTREAM_REPLICAS',
      )
    }
    return updated
  }
}

function refuseReplicas(err: unknown, config: StreamSettings): never {
  if (
    err instanceof JetStreamApiError &&
    (err.code === REPLICAS_NOT_SUPPORTED || err.code === NO_SUITABLE_PEERS)
  ) {
    throw new ConfigError([
      `JETSTREAM_REPLICAS: ${config.num_replicas} replicas of stream ${config.name} refused by NATS (${err.message}); ` +
        'a single server takes 1, a cluster at most its number of JetStream servers',
    ])
  }
  throw err
}

/**
 * Watches the bus's stream for being lost: deleted by hand, or gone with the store of the only
 * server that had it (an R1 stream whose node lost its disk). Every event the stream held and no
 * consumer had settled yet is gone with it, and nothing downstream can tell by itself; so a loss
 * is never taken in silence. It is logged at error level with the stream's name, counted
 * (`cafe_bus_stream_lost_total`) and shown in `/health/ready` details, once per bus that notices.
 *
 * Then the stream is created again. Refusing to go on would not bring one lost event back, but it
 * would stop every new one: orders would still be paid (the outbox keeps their events) while no
 * ticket, point or My Page row followed until someone recreated the stream by hand. Recreating it
 * keeps the new events flowing; the operator, alerted, reconciles what was lost (see
 * docs/RELIABILITY.md, "Durability contract").
 *
 * A stream recreated by another service looks like the same name with another creation time, so
 * each bus notices a loss even when it was not the first to find the stream gone.
 */
export function streamKeeper(
  jsm: JetStreamManager,
  config: StreamSettings,
  logger: BusLogger,
): {
  ensure(): Promise<void>
  /** Checks the stream is the one this bus created or found; `noticed` says what made it look. */
  verify(noticed: 'consume' | 'publish'): Promise<void>
  losses(): StreamLosses
} {
  let created: string | undefined
  let count = 0
  let lastNoticedAt: string | undefined
  let verifying: Promise<void> | undefined

  const lost = (noticed: string, detail: string) => {
    count++
    lastNoticedAt = new Date().toISOString()
    logger.error(
      { stream: config.name, noticed, lost: count },
      `stream ${config.name} was lost (${detail}): the events it held undelivered are gone; recreating it so new events flow`,
    )
  }

  const check = async (noticed: string) => {
    const info = await jsm.streams.info(config.name).catch((err) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined
      throw err
    })
    if (info && info.created === created) return
    if (info) {
      lost(noticed, 'recreated by another service')
      created = info.created
      return
    }
    lost(noticed, 'not found')
    created = (await upsertStream(jsm, config, logger)).created
  }

  return {
    async ensure() {
      created = (await upsertStream(jsm, config, logger)).created
    },
    verify(noticed) {
      verifying ??= check(noticed).finally(() => {
        verifying = undefined
      })
      return verifying
    },
    losses: () => ({ stream: config.name, count, ...(lastNoticedAt && { lastNoticedAt }) }),
  }
}

import type { SqliteSync } from '../db/sqlite.ts'
import type { BusLogger } from './port.ts'

/**
 * As JetStream's consumers take a handler still unsettled after 10 ack_waits of 30 s as hung (see
 * jetstream-subscription.ts), so does the local log, after the same 5 minutes by default.
 */
export const LOCAL_HANDLER_DEADLINE_MS = 10 * 30_000

export interface LocalBusOptions {
  path: string
  /**
   * FULL by default: every publish is fsynced before it resolves, as the port promises. The
   * outbox relay deletes its rows once publish resolves, in another file: were the log's commit
   * still in the page cache, a power cut could keep the delete and lose the message for good.
   * NORMAL (a publish survives a killed process, not an OS crash) only to measure the difference.
   */
  sync?: SqliteSync
  cursorFlushMs?: number
  /** Messages every consumer has passed are dropped after this long (JetStream's stream keeps 7 days too). */
  retentionMs?: number
  trimEveryMs?: number
  /**
   * Other threads of this process open the same log (embedded mode on several cores): a publish
   * in one wakes the consumers of every other. Each consumer must still live in one thread only.
   */
  shared?: boolean
  /** See openSqlite: a bound on the log when a checkpointer thread copies it back. */
  autocheckpointPages?: number
  /** How long a write waits for another connection (a thread, the checkpointer) to release the log. */
  busyTimeoutMs?: number
  /**
   * A handler still unsettled this long is taken as hung: its message is retried with backoff and
   * later messages flow. The consumer's inbox makes the abandoned handler's late completion harmless.
   */
  handlerDeadlineMs?: number
  logger?: BusLogger
}

/**
 * Runs `handle`: true once it resolves, false if it throws or is still running after `deadlineMs`
 * (then `onLate` is told). A late handler is abandoned, not stopped: its completion no longer matters.
 */
export async function settledWithin(
  handle: () => Promise<void>,
  deadlineMs: number,
  onLate: () => void,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      onLate()
      resolve(false)
    }, deadlineMs)
    // An abandoned handler must not keep the process alive either.
    timer.unref()
  })
  try {
    return await Promise.race([
      (async () => handle())().then(
        () => true,
        () => false,
      ),
      late,
    ])
  } finally {
    clearTimeout(timer)
  }
}

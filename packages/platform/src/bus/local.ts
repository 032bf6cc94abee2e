import { DatabaseSync } from 'node:sqlite'
import { walCheckpointPragma, whenUnlocked } from '../db/sqlite.ts'
import { sqliteReason } from '../db/transient.ts'
import { LOCAL_HANDLER_DEADLINE_MS, type LocalBusOptions, settledWithin } from './local-options.ts'
import { type RetryRow, type Row, SCHEMA, SYNCHRONOUS } from './local-schema.ts'
import {
  type Bus,
  type BusMessage,
  type ConsumeOptions,
  exponentialRetry,
  type OutgoingMessage,
  type Subscription,
  silentBusLogger,
} from './port.ts'

type Handle = (message: BusMessage) => Promise<void>

export type { LocalBusOptions } from './local-options.ts'

/**
 * The embedded-mode bus: a durable log in SQLite with a cursor per named consumer, giving the
 * same guarantees as JetStream in one process. A message id is stored once. A consumer's
 * position moves only past messages whose handlers have settled, and is saved every
 * `cursorFlushMs` rather than per message: a crash redelivers at most that much, which the
 * consumers' inboxes drop. Failed messages wait in a retry table with backoff, and so do those
 * whose handler is still unsettled at `handlerDeadlineMs`.
 */
export function openLocalBus(options: LocalBusOptions): Bus {
  const logger = options.logger ?? silentBusLogger
  const handlerDeadlineMs = options.handlerDeadlineMs ?? LOCAL_HANDLER_DEADLINE_MS
  // Another thread may be opening the same log this instant (see whenUnlocked).
  const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 })
  whenUnlocked(() => db.exec('pragma journal_mode = wal'))
  db.exec(
    `pragma synchronous = ${options.sync ?? 'full'}; ${walCheckpointPragma(options.autocheckpointPages)}`,
  )
  // In one write transaction, taken before the first read, so creating the tables waits its turn.
  whenUnlocked(() => {
    db.exec('begin immediate')
    try {
      db.exec(SCHEMA)
      db.exec('commit')
    } catch (error) {
      db.exec('rollback')
      throw error
    }
  })
  const insert = db.prepare(
    'insert or ignore into message (id, type, payload, headers, stored_at) values (?, ?, ?, ?, ?)',
  )
  const head = db.prepare('select coalesce(max(seq), 0) as seq from message')
  const columns = 'select seq, id, type, payload, headers from message'
  const after = db.prepare(`${columns} where seq > ? and seq <= ? order by seq limit ?`)
  const afterOfTypes = db.prepare(
    `${columns} where seq > ? and seq <= ? and type in (select value from json_each(?)) order by seq limit ?`,
  )
  const bySeq = db.prepare(`${columns} where seq = ?`)
  const cursorOf = db.prepare('select seq from cursor where consumer = ?')
  const saveCursor = db.prepare(
    'insert into cursor (consumer, seq) values (?, ?) on conflict (consumer) do update set seq = excluded.seq',
  )
  const dueRetries = db.prepare(
    'select seq, attempt from retry where consumer = ? and due_at <= ? order by due_at limit ?',
  )
  const nextDue = db.prepare('select min(due_at) as due from retry where consumer = ?')
  const countRetries = db.prepare('select count(*) as n from retry where consumer = ?')
  const pendingAfter = db.prepare('select count(*) as n from message where seq > ?')
  const pendingOfTypesAfter = db.prepare(
    'select count(*) as n from message where seq > ? and type in (select value from json_each(?))',
  )
  const saveRetry = db.prepare(
    'insert into retry (consumer, seq, attempt, due_at) values (?, ?, ?, ?) on conflict (consumer, seq) do update set attempt = excluded.attempt, due_at = excluded.due_at',
  )
  const dropRetry = db.prepare('delete from retry where consumer = ? and seq = ?')
  const synchronousOf = db.prepare('pragma synchronous')
  const groups = new Map<string, Group>()
  let closed = false

  const inTransaction = (work: () => void) => {
    // Immediate: take the write lock up front, so a writer in another thread makes this one wait
    // (busy_timeout) instead of failing at its first write.
    db.exec('begin immediate')
    try {
      work()
      db.exec('commit')
    } catch (error) {
      db.exec('rollback')
      throw error
    }
  }

  const saveCursors = () => {
    const moved = [...groups.values()].filter((g) => g.position !== g.saved)
    if (moved.length === 0 || closed) return
    inTransaction(() => {
      for (const group of moved) saveCursor.run(group.name, group.position)
    })
    for (const group of moved) group.saved = group.position
  }
  /**
   * A timer's write: another thread holding the log past the busy timeout must not end the process
   * with an uncaught SQLITE_BUSY. What was not written is written at the next tick.
   */
  const onTick = (what: string, write: () => void) => () => {
    try {
      write()
    } catch (err) {
      if (sqliteReason(err as object) !== 'busy') throw err
      logger.warn({ bus: options.path, err }, `${what} put off: the log is locked`)
    }
  }
  const flusher = setInterval(onTick('saving consumer positions', saveCursors), options.cursorFlushMs ?? 100)
  flusher.unref()

  const trimOld = db.prepare(
    `delete from message where stored_at < ? and seq <= (select coalesce(min(seq), 0) from cursor)
       and seq not in (select seq from retry)`,
  )
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000
  const trimmer = setInterval(
    onTick('trimming old messages', () => {
      if (!closed) trimOld.run(new Date(Date.now() - retentionMs).toISOString())
    }),
    options.trimEveryMs ?? 3_600_000,
  )
  trimmer.unref()

  class Group {
    readonly name: string
    readonly handlers: Handle[] = []
    readonly concurrency: number
    readonly retryDelay: (attempt: number) => number
    /** The message types this consumer takes, as JSON for the query; undefined for all. */
    readonly types: ReadonlySet<string> | undefined
    readonly typesJson: string
    position: number
    saved: number
    next = 0
    /** A publish of its types since it last looked: look again before sleeping. */
    signaled = true
    /** Messages waiting in the retry table; while none, the table is not queried. */
    retries: number
    stopped = false
    /** Set when stop gave up waiting: the late batch must not move the cursor of a closed log. */
    abandoned = false
    wake: (() => void) | undefined
    wakeScheduled = false
    loop: Promise<void>

    constructor(name: string, options: ConsumeOptions) {
      this.name = name
      this.concurrency = options.concurrency ?? 64
      this.retryDelay = options.retryDelay ?? exponentialRetry()
      this.types = options.types && new Set(options.types)
      this.typesJson = JSON.stringify(options.types ?? [])
      this.position = (cursorOf.get(name) as { seq: number } | undefined)?.seq ?? 0
      this.saved = this.position
      this.retries = (countRetries.get(name) as { n: number }).n
      this.loop = this.run()
    }

    wants(types: ReadonlySet<string>): boolean {
      return !this.types || [...types].some((t) => this.types?.has(t))
    }

    /** Wakes the consumer on the next turn, so the publishes of one turn share one look at the log. */
    notify() {
      this.signaled = true
      if (this.wakeScheduled || !this.wake) return
      this.wakeScheduled = true
      setImmediate(() => {
        this.wakeScheduled = false
        this.wake?.()
      })
    }

    private async deliver(row: Row, attempt: number): Promise<boolean> {
      const handle = this.handlers[this.next++ % this.handlers.length]
      if (!handle) return false
      const message: BusMessage = {
        id: row.id,
        type: row.type,
        payload: row.payload,
        attempt,
        ...(row.headers ? { headers: JSON.parse(row.headers) as Record<string, string> } : {}),
      }
      return settledWithin(
        () => handle(message),
        handlerDeadlineMs,
        () =>
          logger.warn(
            { consumer: this.name, id: row.id, attempt, deadlineMs: handlerDeadlineMs },
            'handler still running past its deadline; retrying the message',
          ),
      )
    }

    private fresh(until: number): Row[] {
      const rows = this.types
        ? afterOfTypes.all(this.position, until, this.typesJson, this.concurrency)
        : after.all(this.position, until, this.concurrency)
      return rows as unknown as Row[]
    }

    private async run(): Promise<void> {
      await Promise.resolve()
      while (!this.stopped) {
        this.signaled = false
        const until = (head.get() as { seq: number }).seq
        const fresh = this.fresh(until)
        const due =
          this.retries > 0
            ? (dueRetries.all(this.name, Date.now(), this.concurrency) as unknown as RetryRow[])
            : []
        if (fresh.length === 0 && due.length === 0) {
          // Nothing up to `until` is for this consumer: move past it without a look.
          this.position = until
          await this.idle()
          continue
        }
        const [freshResults, dueResults] = await Promise.all([
          Promise.all(fresh.map((row) => this.deliver(row, 1))),
          Promise.all(
            due.map((r) => {
              const row = bySeq.get(r.seq) as unknown as Row | undefined
              return row ? this.deliver(row, r.attempt + 1) : Promise.resolve(true)
            }),
          ),
        ])
        if (closed || this.abandoned) return
        const failed = fresh.filter((_, i) => !freshResults[i])
        if (failed.length > 0 || due.length > 0) {
          const now = Date.now()
          const recorded = await this.record(() => {
            for (const row of failed) saveRetry.run(this.name, row.seq, 1, now + this.retryDelay(1))
            due.forEach((r, i) => {
              if (dueResults[i]) dropRetry.run(this.name, r.seq)
              else saveRetry.run(this.name, r.seq, r.attempt + 1, now + this.retryDelay(r.attempt + 1))
            })
          })
          if (!recorded) return
          this.retries = (countRetries.get(this.name) as { n: number }).n
        }
        // A short batch means nothing else for us up to `until`; unless something was published
        // meanwhile or retries wait, there is no need to look again before sleeping.
        const drained = fresh.length < this.concurrency
        this.position = drained ? until : (fresh.at(-1)?.seq ?? this.position)
        if (drained && this.retries === 0) await this.idle()
        // Handlers on SQLite never leave the microtask queue: without this, a backlog would be
        // worked off in one turn while this thread's HTTP requests wait.
        else await new Promise((resolve) => setImmediate(resolve))
      }
    }

    /**
     * Writes what became of a batch, waiting as long as another connection holds the log past the
     * busy timeout: the cursor must not pass failed messages before their retries are recorded,
     * and an error here would end the loop as an unhandled rejection. False once closed.
     */
    private async record(write: () => void): Promise<boolean> {
      for (let attempt = 1; ; attempt++) {
        if (closed || this.abandoned) return false
        try {
          inTransaction(write)
          return true
        } catch (err) {
          if (sqliteReason(err as object) !== 'busy') throw err
          logger.warn(
            { bus: options.path, consumer: this.name, err },
            'retries not recorded: the log is locked',
          )
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)))
        }
      }
    }

    /** Sleeps until a publish of a type it takes, the next due retry, or stop. */
    private idle(): Promise<void> {
      if (this.signaled || this.stopped) return Promise.resolve()
      const due =
        this.retries > 0 ? (nextDue.get(this.name) as { due: number | null } | undefined)?.due : undefined
      return new Promise((resolve) => {
        const timer = due == null ? undefined : setTimeout(done, Math.max(0, due - Date.now()))
        const self = this
        function done() {
          if (timer) clearTimeout(timer)
          self.wake = undefined
          resolve()
        }
        this.wake = done
      })
    }

    /**
     * Waits for the batch in hand, but not forever: a hung handler must not block shutdown. An
     * abandoned batch is redelivered on the next start, which the consumers' inboxes make safe.
     */
    async stop(graceMs = 30_000) {
      this.stopped = true
      this.notify()
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.abandoned = true
          resolve()
        }, graceMs)
      })
      await Promise.race([this.loop, late])
      clearTimeout(timer)
      saveCursors()
    }
  }

  const wakeFor = (types: ReadonlySet<string>) => {
    for (const group of groups.values()) if (group.wants(types)) group.notify()
  }
  const peers = options.shared ? new BroadcastChannel(`cafeteria-bus:${options.path}`) : undefined
  peers?.addEventListener('message', (event) => wakeFor(new Set((event as MessageEvent).data as string[])))
  peers?.unref()

  return {
    kind: 'local',
    async publish(messages: readonly OutgoingMessage[]) {
      if (closed) throw new Error('bus is closed')
      const now = new Date().toISOString()
      inTransaction(() => {
        for (const m of messages) {
          insert.run(m.id, m.type, m.payload, m.headers ? JSON.stringify(m.headers) : null, now)
        }
      })
      const types = new Set(messages.map((m) => m.type))
      wakeFor(types)
      peers?.postMessage([...types])
    },
    consume(consumer: string, handle: Handle, options: ConsumeOptions = {}): Subscription {
      if (closed) throw new Error('bus is closed')
      let group = groups.get(consumer)
      if (!group) {
        group = new Group(consumer, options)
        groups.set(consumer, group)
      }
      group.handlers.push(handle)
      const owner = group
      return {
        async stop() {
          const index = owner.handlers.indexOf(handle)
          if (owner.handlers.length > 1) {
            owner.handlers.splice(index, 1)
            return
          }
          await owner.stop()
          owner.handlers.length = 0
          groups.delete(consumer)
        },
      }
    },
    health: () => {
      if (closed) return { ok: false, detail: 'closed' }
      // Read from the connection: what this log's commits really do, whatever was asked.
      const { synchronous } = synchronousOf.get() as { synchronous: number }
      return { ok: true, detail: `local log at ${options.path}, synchronous ${SYNCHRONOUS[synchronous]}` }
    },
    async lag(consumer: string) {
      // Messages past its position (in hand or waiting) and those waiting for a retry. A consumer
      // of another thread is read from its saved cursor, at most one flush behind.
      const group = groups.get(consumer)
      const position = group?.position ?? (cursorOf.get(consumer) as { seq: number } | undefined)?.seq ?? 0
      const pending = group?.types
        ? pendingOfTypesAfter.get(position, group.typesJson)
        : pendingAfter.get(position)
      const retries = group?.retries ?? (countRetries.get(consumer) as { n: number }).n
      return (pending as { n: number }).n + retries
    },
    async close() {
      if (closed) return
      await Promise.all([...groups.values()].map((g) => g.stop()))
      saveCursors()
      clearInterval(flusher)
      clearInterval(trimmer)
      groups.clear()
      closed = true
      peers?.close()
      db.close()
    },
  }
}

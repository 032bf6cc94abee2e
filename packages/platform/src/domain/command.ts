import { eventSchemas, type NewEvent } from '@cafeteria/contracts'
import { type Decider, isRejected } from './decider.ts'

/** What the loop needs of a service: its transactions and its outbox. */
export interface CommandContext<Trx> {
  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T>
  emit(trx: Trx, events: readonly NewEvent[]): Promise<void>
}

/**
 * How one command meets the store. `Stored` is the state as the store holds it (with what the
 * store assigns, such as an id); the decider may evolve states that are not stored yet.
 */
export interface CommandSteps<Trx, State, Stored extends State, Command, Event extends AnyEvent, Rejection> {
  readonly decider: Decider<State, Command, Event, Rejection>
  readonly command: Command
  /** The state as stored now; undefined while there is none (the decider's initial state). */
  load(trx: Trx): Promise<Stored | undefined>
  /**
   * Saves `state` only if the stored state is still `loaded` (a status compared and set, a key
   * that must not exist yet, a lock held since `load`): the state as saved, or undefined when a
   * concurrent change got there first and nothing was written.
   */
  save(
    trx: Trx,
    state: State,
    loaded: Stored | undefined,
    events: readonly Event[],
  ): Promise<Stored | undefined>
  /** The contract events that announce what was saved; by default `published(events)`. */
  announce?(events: readonly Event[], saved: Stored): readonly NewEvent[]
  /** How many times to load and decide, while concurrent changes win (default 1). */
  readonly attempts?: number
  /** The transaction to run every attempt in (an event handler's); without one, each attempt has its own. */
  readonly trx?: Trx
}

export type CommandOutcome<Stored, Event, Rejection> =
  /** `state` is what is stored after the command (undefined: nothing, and nothing was decided). */
  | { readonly kind: 'done'; readonly state: Stored | undefined; readonly events: readonly Event[] }
  | { readonly kind: 'rejected'; readonly reason: Rejection }
  /** Every attempt lost to a concurrent change; nothing was saved. */
  | { readonly kind: 'raced' }

/**
 * The one save loop: load, decide, and if anything was decided, evolve, save over what was loaded
 * and put the announcing events in the outbox in the same transaction. A save that loses to a
 * concurrent change loads and decides again, up to `attempts` times; a rejection saves nothing.
 */
export async function handleCommand<
  Trx,
  State,
  Stored extends State,
  Command,
  Event extends AnyEvent,
  Rejection,
>(
  ctx: CommandContext<Trx>,
  steps: CommandSteps<Trx, State, Stored, Command, Event, Rejection>,
): Promise<CommandOutcome<Stored, Event, Rejection>> {
  const { decider, command, trx } = steps
  const announce = steps.announce ?? published
  const attempt = async (trx: Trx): Promise<CommandOutcome<Stored, Event, Rejection> | undefined> => {
    const loaded = await steps.load(trx)
    const state: State = loaded ?? decider.initialState()
    const events = decider.decide(command, state)
    if (isRejected(events)) return { kind: 'rejected', reason: events.rejected }
    if (events.length === 0) return { kind: 'done', state: loaded, events }
    const saved = await steps.save(trx, events.reduce(decider.evolve, state), loaded, events)
    if (saved === undefined) return undefined
    await ctx.emit(trx, announce(events, saved))
    return { kind: 'done', state: saved, events }
  }
  for (let tries = 1; ; tries++) {
    const outcome = await (trx === undefined ? ctx.transaction(attempt) : attempt(trx))
    if (outcome) return outcome
    if (tries >= (steps.attempts ?? 1)) return { kind: 'raced' }
  }
}

/** What every event names: its type and its order. */
export interface AnyEvent {
  readonly type: string
  readonly orderId: number
  readonly data?: unknown
}

/**
 * The contract events among a decider's events, as the outbox takes them. A decider's event may
 * keep beside a contract event what only its own state needs (a time, an entry), and a change no
 * other service hears of is an event of the service's own type: neither leaves the service.
 */
export const published = (events: readonly AnyEvent[]): NewEvent[] =>
  events
    .filter((event) => Object.hasOwn(eventSchemas, event.type))
    .map(({ type, orderId, data }) => ({ type, orderId, data }) as NewEvent)

import type { EventType, NewEventOf } from '@cafeteria/contracts'

/**
 * The one shape of a service's business decisions, after Emmett's Decider: `decide` answers a
 * command with the events it causes, `evolve` folds an event into the state, `initialState` is
 * the state before anything happened. Adapted to state-stored aggregates: the state is saved,
 * not the events, and a refusal is a value (`rejected`), not an exception. A command with nothing
 * left to do (an idempotent repeat) decides no events.
 */
export interface Decider<State, Command, Event, Rejection = string> {
  readonly initialState: () => State
  decide(command: Command, state: State): readonly Event[] | Rejected<Rejection>
  evolve(state: State, event: Event): State
}

export interface Rejected<Rejection = string> {
  readonly rejected: Rejection
}

export const rejected = <Rejection>(reason: Rejection): Rejected<Rejection> => ({ rejected: reason })

export const isRejected = <T, Rejection>(outcome: T | Rejected<Rejection>): outcome is Rejected<Rejection> =>
  typeof outcome === 'object' && outcome !== null && Object.hasOwn(outcome, 'rejected')

/** What a command makes of a state, nothing saved: the events, and the state they lead to. */
export function decideAndEvolve<State, Command, Event, Rejection>(
  decider: Decider<State, Command, Event, Rejection>,
  command: Command,
  state: State,
): { readonly state: State; readonly events: readonly Event[] } | Rejected<Rejection> {
  const decision = decider.decide(command, state)
  if (isRejected(decision)) return decision
  return { state: decision.reduce(decider.evolve, state), events: decision }
}

/**
 * What a service emits (`<svc>Emits`): all its deciders may return, and the flows table's
 * producers. `emits('Made', …)` keeps the names as a list of literals, checked against the contracts.
 */
export const emits = <const Types extends readonly EventType[]>(...types: Types): Types => types

/** The events of an `emits` list, as its service's deciders return them (the outbox adds the rest). */
export type Emitted<Emits extends readonly EventType[]> = NewEventOf<Emits[number]>

/**
 * Nothing, when every contract event among a decider's events is one its service says it emits;
 * otherwise a property no decider has, which names the unlisted ones.
 */
type OnlyListed<Event extends { readonly type: string }, Emits extends EventType> = [
  Exclude<Extract<Event['type'], EventType>, Emits>,
] extends [never]
  ? unknown
  : { readonly notInEmits: Exclude<Extract<Event['type'], EventType>, Emits> }

/**
 * A service's decider, held to its `emits` list: one that may return a contract event the list
 * does not name does not compile until the list (and so the flows table) says so too.
 */
export const decider = <
  Emits extends EventType,
  State,
  Command,
  Event extends { readonly type: string },
  Rejection = string,
>(
  _emits: readonly Emits[],
  parts: Decider<State, Command, Event, Rejection> & OnlyListed<Event, Emits>,
): Decider<State, Command, Event, Rejection> => parts

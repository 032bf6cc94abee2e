import { waitFor as waitUntil } from '@cafeteria/platform/testing'

/** The system tests' view of the kit: the in-memory system and plain HTTP calls. */
export { ephemeralPorts, order, startInMemorySystem } from '@cafeteria/cafe/testing'
export { type Answer, call } from '@cafeteria/platform/testing'

/** The kit's `waitFor` as the system tests call it: what is awaited named by the third argument. */
export const waitFor = <T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> => waitUntil(probe, timeoutMs, { what, intervalMs: 25 }) as Promise<T>

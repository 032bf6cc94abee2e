// The runner lives with the CLI because `cafe bench` starts the system the same way.
export { type CafeProcess, freePort, npmStart, startCafe } from '../../apps/cafe/src/process.ts'

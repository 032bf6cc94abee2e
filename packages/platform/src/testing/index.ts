/**
 * The test kit: what the suites of every package share, imported as `@cafeteria/platform/testing`.
 * Nothing here is used at runtime. Helpers that need a particular service (seeding its rows, its
 * request bodies) stay in that service's own `testing.ts` and build on these.
 */
export * from './basics.ts'
export * from './database.ts'
export * from './http.ts'
export * from './net.ts'
export * from './proxy.ts'
export * from './service-fixture.ts'
export * from './sse.ts'
export * from './stub.ts'

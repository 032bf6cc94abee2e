export * from './decode.ts'
export * from './events.ts'
export * from './http.ts'
export * from './menu.ts'

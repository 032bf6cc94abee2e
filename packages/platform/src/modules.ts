/**
 * A module next to the caller, as a URL for `new Worker` or `spawn`: `sibling(import.meta.url,
 * 'cli')`. From the sources that is `cli.ts`; from the bundle `npm start` runs (see
 * apps/cafe/build.ts), where every entry point and chunk sits in one directory, it is `cli.js`.
 */
export const sibling = (base: string, name: string): URL =>
  new URL(`./${name}${new URL(base).pathname.endsWith('.ts') ? '.ts' : '.js'}`, base)

import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * Where the built web UI is (`npm run build:web`, run by `npm install`, `npm start` and
 * `npm test` when the sources changed): `index.html` and the content-hashed `assets/`, each with
 * its gzip and brotli copies. The gateway serves it; building needs development dependencies,
 * serving does not. Found through the package, not this file's URL: the bundle `npm start` runs
 * has this module inlined elsewhere.
 */
export const webRoot: string = `${join(dirname(createRequire(import.meta.url).resolve('@cafeteria/web')), 'dist')}/`

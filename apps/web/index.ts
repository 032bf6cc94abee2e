import { fileURLToPath } from 'node:url'

/**
 * Where the built web UI is (`npm run build:web`, run by `npm install`, `npm start` and
 * `npm test` when the sources changed): `index.html` and the content-hashed `assets/`, each with
 * its gzip and brotli copies. The gateway serves it; building needs development dependencies,
 * serving does not.
 */
export const webRoot: string = fileURLToPath(new URL('./dist/', import.meta.url))

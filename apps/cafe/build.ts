import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { builtFingerprint, fingerprintOf, replaceBuild } from '../../scripts/build-output.ts'

/**
 * `npm start` runs the server from one bundle instead of some 400 TypeScript and package modules:
 * each thread of embedded mode then starts in about half the time and with one copy of Node's
 * TypeScript stripper less. The sources stay what runs everywhere else (tests, `npm run cafe`,
 * the image); this is only how `npm start` loads them. Rebuilt when a source changes.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const here = fileURLToPath(new URL('.', import.meta.url))
export const dist = join(here, 'dist')

/** Entry points, flat in dist/ with the shared chunks, so `sibling()` finds each from any chunk. */
const entryPoints = {
  cli: join(here, 'src/cli.ts'),
  'embedded-thread': join(here, 'src/embedded-thread.ts'),
  'checkpoint-thread': join(root, 'packages/platform/src/db/checkpoint-thread.ts'),
}

/**
 * Loaded from node_modules as they are: what serves files from its own directory, optional
 * native add-ons, and what only the build and `cafe bench` (a workspace of its own) use.
 */
const external = ['@fastify/swagger-ui', '@fastify/static', 'pg-native', '@cafeteria/bench', 'esbuild']

const sourceDirs = ['apps/cafe/src', 'apps/web/index.ts', 'packages', 'services']

function sourceFiles(): string[] {
  const files: string[] = []
  for (const entry of sourceDirs.map((d) => join(root, d))) {
    if (entry.endsWith('.ts')) {
      files.push(entry)
      continue
    }
    for (const f of readdirSync(entry, { recursive: true, withFileTypes: true })) {
      const path = join(f.parentPath, f.name)
      if (
        f.isFile() &&
        /\.(ts|json)$/.test(f.name) &&
        !f.name.endsWith('.test.ts') &&
        !path.includes('node_modules')
      )
        files.push(path)
    }
  }
  return files.sort()
}

/** What the bundle is made from: the server's sources, this script and the locked dependencies. */
export const fingerprint = (): string =>
  fingerprintOf(root, [...sourceFiles(), fileURLToPath(import.meta.url), join(root, 'package-lock.json')])

export const isFresh = (): boolean =>
  existsSync(join(dist, 'cli.js')) && builtFingerprint(dist) === fingerprint()

/** Bundles into a fresh directory, then swaps it in whole, so a start never sees half a build. */
export async function build(): Promise<{ fingerprint: string }> {
  const esbuild = await import('esbuild')
  const print = fingerprint()
  await replaceBuild(dist, print, async (out) => {
    await esbuild.build({
      entryPoints,
      outdir: out,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      external,
      sourcemap: 'linked',
      logLevel: 'warning',
      // Packages written as CommonJS call require(); an ES module has none of its own.
      banner: {
        js: "import { createRequire as __cafeRequire } from 'node:module'; const require = __cafeRequire(import.meta.url);",
      },
    })
    return {}
  })
  return { fingerprint: print }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--force') || !isFresh()) {
    const started = Date.now()
    const { fingerprint: print } = await build()
    console.log(`server bundle ${print} built in ${Date.now() - started} ms: ${relative(root, dist)}/`)
  }
}

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { brotliCompress, constants, gzip } from 'node:zlib'
import { builtFingerprint, fingerprintOf, replaceBuild } from '../../scripts/build-output.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const sources = join(here, 'ui')
const dist = join(here, 'dist')

/** What the bundle is made from: the UI's sources, this script and the locked dependencies' versions. */
export function fingerprint(): string {
  const files = readdirSync(sources, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && !f.name.endsWith('.test.ts'))
    .map((f) => join(f.parentPath, f.name))
    .sort()
  const versions = ['preact', 'eventsource-parser', 'esbuild'].flatMap((name) => {
    const manifest = join(here, '..', '..', 'node_modules', name, 'package.json')
    return existsSync(manifest) ? [`${name}@${JSON.parse(readFileSync(manifest, 'utf8')).version}`] : []
  })
  return fingerprintOf(here, [...files, fileURLToPath(import.meta.url)], versions)
}

const page = (script: string, style: string) => `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#6f3f1d">
<title>카페테리아 · Cafeteria</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'%3E%3Ctext y='.9em' font-size='90'%3E%E2%98%95%3C/text%3E%3C/svg%3E">
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>이 화면은 JavaScript가 필요합니다. This page needs JavaScript.</noscript>
</body>
</html>
`

/** Bundles the UI into a fresh directory, then swaps it in whole, so a server never sees half a build. */
export async function build(): Promise<{ files: string[]; fingerprint: string }> {
  const esbuild = await import('esbuild')
  const print = fingerprint()
  const { files } = await replaceBuild(dist, print, async (out) => {
    const result = await esbuild.build({
      entryPoints: [join(sources, 'main.tsx')],
      outdir: join(out, 'assets'),
      entryNames: 'app-[hash]',
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['chrome100', 'safari15', 'firefox100'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      metafile: true,
      legalComments: 'none',
      logLevel: 'warning',
    })
    const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file))
    const script = outputs.find((f) => f.endsWith('.js'))
    const style = outputs.find((f) => f.endsWith('.css'))
    if (!script || !style) throw new Error(`unexpected bundle: ${outputs.join(', ')}`)
    await writeFile(join(out, 'index.html'), page(script, style))
    const files = ['index.html', ...outputs.map((f) => `assets/${f}`)]
    await Promise.all(files.map((file) => precompress(join(out, file))))
    return { files }
  })
  return { files, fingerprint: print }
}

/** Each file's gzip and brotli copies, served to browsers that accept them. */
async function precompress(file: string): Promise<void> {
  const content = await readFile(file)
  const [gz, br] = await Promise.all([
    promisify(gzip)(content, { level: 9 }),
    promisify(brotliCompress)(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  ])
  await Promise.all([writeFile(`${file}.gz`, gz), writeFile(`${file}.br`, br)])
}

/** Builds only when the sources changed since the last build (or there is none). */
export async function ensureBuilt(): Promise<'fresh' | 'built'> {
  if (builtFingerprint(dist) === fingerprint() && existsSync(join(dist, 'index.html'))) return 'fresh'
  await build()
  return 'built'
}

const hasEsbuild = async () =>
  import('esbuild').then(
    () => true,
    () => false,
  )

if (import.meta.main && !(await hasEsbuild())) {
  // An install without development dependencies (a production image) serves a bundle built elsewhere.
  console.log('web UI not built here: esbuild is not installed')
} else if (import.meta.main) {
  const force = process.argv.includes('--force')
  const started = performance.now()
  if (force) await build()
  if (force || (await ensureBuilt()) === 'built') {
    const { files } = JSON.parse(await readFile(join(dist, 'build.json'), 'utf8')) as { files: string[] }
    const sizes = await Promise.all(
      files.map(
        async (f) =>
          `${f} ${(await readFile(join(dist, f))).length} B (br ${(await readFile(join(dist, `${f}.br`))).length} B)`,
      ),
    )
    console.log(`web UI built in ${Math.round(performance.now() - started)} ms:\n  ${sizes.join('\n  ')}`)
  } else {
    console.log('web UI is up to date')
  }
}

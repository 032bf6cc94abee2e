import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { tempDir } from '@cafeteria/platform/testing'
import { dockerfile, ignoredByDocker, runtimeImports, workspaces } from './image.ts'
import { ofKind, overlays, render, root, servicePorts } from './manifests.ts'

// No Docker engine here: the Dockerfile is checked against the repository it builds from.
const instructions = dockerfile()
const last = Math.max(...instructions.map((i) => i.stage))
const final = instructions.filter((i) => i.stage === last)
const execForm = (keyword: string): string[] => {
  const found = final.findLast((i) => i.keyword === keyword)
  assert.ok(found, `the final stage has ${keyword}`)
  return JSON.parse(found.args)
}
const copies = instructions
  .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
  .map((i) => {
    const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'))
    return { stage: i.stage, sources: words.slice(0, -1) }
  })
/** A development tool with dependencies of its own, which the image leaves out. */
const BENCH = '@cafeteria/bench'

test('the image is built in stages from a Node 24 slim base', () => {
  const bases = instructions.filter((i) => i.keyword === 'FROM')
  assert.ok(bases.length >= 2, 'multi-stage')
  const defaults = instructions.filter((i) => i.keyword === 'ARG' && i.stage === -1)
  const base = defaults.map((i) => /^NODE_IMAGE=(\S+)/.exec(i.args)?.[1]).find(Boolean)
  assert.match(base ?? '', /^node:24[\w.-]*-slim$/)
})

test('every file COPY takes from the build context exists and is not left out by .dockerignore', () => {
  for (const { sources } of copies) {
    for (const source of sources) {
      assert.ok(existsSync(join(root, source)), `${source} exists`)
      assert.equal(ignoredByDocker(source), false, `${source} is in the build context`)
    }
  }
  for (const excluded of ['.git', 'node_modules', 'services/order/node_modules', 'test']) {
    assert.equal(ignoredByDocker(excluded), true, `${excluded} stays out of the build context`)
  }
})

test('dependencies are installed from the lockfile without development ones, before the sources', () => {
  const install = instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))
  assert.ok(install, 'npm ci')
  assert.match(install.args, /--omit=dev/)
  const copiedBefore = copies.filter((c) => c.stage === install.stage).flatMap((c) => c.sources)
  for (const { dir } of workspaces().filter((w) => !ignoredByDocker(w.dir))) {
    assert.ok(copiedBefore.includes(join(dir, 'package.json')), `${dir}/package.json is copied for npm ci`)
  }
  assert.ok(copiedBefore.includes('package-lock.json'), 'the lockfile is copied for npm ci')
  if (/--ignore-scripts/.test(install.args)) {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
    const scripted = Object.entries<any>(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript && !entry.dev)
      .map(([path]) => path)
    assert.deepEqual(scripted, [], 'production packages that need their install scripts')
  }
})

test('everything the CLI loads is in the image, with production dependencies only', () => {
  const [node, cli] = execForm('ENTRYPOINT')
  assert.equal(node, 'node')
  const { files, packages } = runtimeImports(cli as string, { leftOut: [BENCH] })
  assert.ok(files.size > 50 && packages.has('fastify'), 'the import graph was followed')
  for (const file of files) assert.equal(ignoredByDocker(file), false, `${file} is in the image`)
  const production = new Set(workspaces().flatMap((w) => Object.keys(w.manifest.dependencies ?? {})))
  const missing = [...packages].filter((name) => !production.has(name))
  assert.deepEqual(missing, [], 'imported at run time but only a development dependency')
})

test('the bench stays out of the image, where `cafe bench` says so instead of failing', async () => {
  const bench = workspaces().find((w) => w.name === BENCH)
  assert.ok(bench, 'the bench is a workspace')
  assert.equal(ignoredByDocker(bench.dir), true, `${bench.dir} is not in the build context`)
  const [, cli] = execForm('ENTRYPOINT')
  const { files, leftOut } = runtimeImports(cli as string, { leftOut: [BENCH] })
  assert.ok(leftOut.has(BENCH), 'the CLI loads the bench for `cafe bench`')
  assert.deepEqual(
    [...files].filter((file) => file.startsWith(`${bench.dir}/`)),
    [],
    'nothing else reaches the bench',
  )
  // Node's own resolution of the bench from a directory without node_modules: what an install
  // without the bench answers.
  await using nowhere = await tempDir('cafe-no-bench-')
  const hooks = `import { registerHooks } from 'node:module'
registerHooks({ resolve: (specifier, context, next) => next(specifier,
  specifier === '${BENCH}' ? { ...context, parentURL: '${pathToFileURL(join(nowhere.path, 'cli.js'))}' } : context) })`
  const run = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(hooks)}`, cli as string, 'bench', '--help'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } },
  )
  assert.equal(run.status, 2, run.stderr)
  assert.match(run.stderr, /cafe bench runs from a checkout of the repository/)
  assert.doesNotMatch(run.stdout, /usage/)
})

test('the image runs the CLI as a non-root user; every Deployment only adds `serve <service>`', () => {
  const [node, cli] = execForm('ENTRYPOINT')
  assert.deepEqual([node, cli], ['node', 'apps/cafe/src/cli.ts'])
  const [command, service] = execForm('CMD')
  assert.equal(command, 'serve')
  assert.ok(servicePorts.has(service as string), `CMD serves a known service (${service})`)
  const user = final.findLast((i) => i.keyword === 'USER')?.args ?? ''
  assert.match(user, /^\d+(:\d+)?$/, 'a numeric user, so that the kubelet can check runAsNonRoot')
  const uid = Number(user.split(':')[0])
  assert.ok(uid > 0)
  for (const overlay of overlays) {
    for (const deployment of ofKind(render(overlay), 'Deployment')) {
      const { spec } = deployment.spec.template
      assert.equal(spec.containers[0].command, undefined, 'the ENTRYPOINT runs')
      assert.equal(
        spec.securityContext.runAsUser,
        uid,
        `${deployment.metadata.name} runs as the image's user`,
      )
    }
  }
})

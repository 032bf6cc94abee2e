import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '@cafeteria/platform/testing'
import { parse } from 'yaml'

// The hosted CI's workflow cannot run here; what it calls can be checked against the repository.
const root = fileURLToPath(new URL('../../', import.meta.url))
const workflow = parse(readFileSync(join(root, '.github/workflows/ci.yml'), 'utf8'))
const scripts: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts
const jobs: Record<string, any> = workflow.jobs
const steps = (job: string): any[] => jobs[job]?.steps ?? []
const runs = (job: string): string =>
  steps(job)
    .map((s) => s.run ?? '')
    .join('\n')
const allRuns = Object.keys(jobs).map(runs).join('\n')

test('every npm script the workflow runs exists', () => {
  const called = [...allRuns.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1] as string)
  assert.ok(called.length > 0)
  for (const script of called) assert.ok(scripts[script], `npm run ${script}`)
  assert.ok(scripts.test, 'npm test')
})

test('it installs from the lockfile, type-checks, lints and runs every test', () => {
  assert.match(allRuns, /\bnpm ci\b/)
  for (const command of [/\bnpm run typecheck\b/, /\bnpm run lint\b/, /\bnpm test\b/]) {
    assert.match(allRuns, command)
  }
})

test('npm test runs the system tests even when a unit test failed, and fails if either did', async () => {
  assert.equal(scripts.test, 'node scripts/test.ts test:unit test:system')
  await using dir = await tempDir('cafe-npm-test-')
  writeFileSync(
    join(dir.path, 'package.json'),
    JSON.stringify({
      private: true,
      scripts: { failing: 'node -e "process.exit(3)"', passing: 'node -e "console.log(\'passing ran\')"' },
    }),
  )
  const runner = (...names: string[]) =>
    spawnSync(process.execPath, [join(root, 'scripts/test.ts'), ...names], {
      cwd: dir.path,
      encoding: 'utf8',
    })
  const both = runner('failing', 'passing')
  assert.equal(both.status, 1, both.stderr)
  assert.match(both.stdout, /passing ran/, 'the second script ran after the first failed')
  assert.match(both.stdout, /failing: exit 3\npassing: passed/)
  assert.equal(runner('passing').status, 0)
})

test('the tests run against PostgreSQL, MariaDB, Redis and NATS with JetStream on their usual ports', () => {
  const job = Object.keys(jobs).find((name) => /\bnpm test\b/.test(runs(name)))
  assert.ok(job, 'a job runs npm test')
  const services = Object.values<any>(jobs[job].services ?? {})
  const port = (image: RegExp) => services.find((s) => image.test(s.image))?.ports
  assert.deepEqual(port(/^postgres:/), ['5432:5432'])
  assert.deepEqual(port(/^mariadb:/), ['3306:3306'])
  assert.deepEqual(port(/^redis:/), ['6379:6379'])
  assert.match(runs(job), /nats[\w.:-]*\s+nats-server\s+(--jetstream|-js)\b/)
  assert.match(runs(job), /-p 4222:4222/)
})

test('the image is built from the Dockerfile on every run and pushed to GHCR from main only', () => {
  const build = Object.values(jobs)
    .flatMap((job) => job.steps ?? [])
    .find((s) => String(s.uses).startsWith('docker/build-push-action@'))
  assert.ok(build, 'docker/build-push-action')
  assert.ok(existsSync(join(root, build.with.context, build.with.file)))
  assert.match(String(build.with.push), /github\.ref == 'refs\/heads\/main'/)
  assert.match(build.with.tags, /^\$\{\{ steps\.\w+\.outputs\.image \}\}:\$\{\{ github\.sha \}\}$/m)
  assert.match(allRuns, /image=ghcr\.io\//)
})

test('deploys apply an overlay that exists, from main, through a gated environment', () => {
  const deploys = Object.entries(jobs).filter(([name]) => /kubectl apply -k/.test(runs(name)))
  assert.ok(deploys.length > 0)
  for (const [name, job] of deploys) {
    assert.ok(job.environment, `${name} runs in an environment with protection rules`)
    assert.match(job.if, /github\.ref == 'refs\/heads\/main'/)
    const overlay = /kubectl apply -k (deploy\/k8s\/overlays\/[\w-]+)/.exec(runs(name))
    assert.ok(overlay && existsSync(join(root, overlay[1] as string, 'kustomization.yaml')))
    // `kustomize edit set image` changes only an image the overlay already names.
    const image = /kustomize edit set image "?(\w+)=/.exec(runs(name))?.[1]
    const overlayFile = readFileSync(join(root, overlay[1] as string, 'kustomization.yaml'), 'utf8')
    assert.match(overlayFile, new RegExp(`- name: ${image}\\n`), `the overlay names the image ${image}`)
    assert.ok(job.needs === 'image' || job.needs?.includes('image'), `${name} deploys a pushed image`)
  }
})

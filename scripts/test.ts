import { spawnSync } from 'node:child_process'

/**
 * `npm test`: runs the npm scripts named on its command line one after the other, every one of them
 * even after one failed (a failing unit test must not hide the system tests' results), then says
 * how each went and exits non-zero if any failed.
 */
const scripts = process.argv.slice(2)
if (scripts.length === 0) throw new Error('usage: node scripts/test.ts <npm script>...')

// Run by npm, npm_execpath is npm's own CLI: this Node runs it, no shell in between.
const npmCli = process.env.npm_execpath
const run = (script: string) =>
  npmCli && /\.[cm]?js$/.test(npmCli)
    ? spawnSync(process.execPath, [npmCli, 'run', script], { stdio: 'inherit' })
    : spawnSync('npm', ['run', script], { stdio: 'inherit' })

const results = scripts.map((script) => {
  const { status, signal, error } = run(script)
  const outcome = error
    ? error.message
    : signal
      ? `killed by ${signal}`
      : status === 0
        ? 'passed'
        : `exit ${status}`
  return { script, passed: outcome === 'passed', outcome }
})
console.log(`\n${results.map((r) => `${r.script}: ${r.outcome}`).join('\n')}`)
if (results.some((r) => !r.passed)) process.exitCode = 1

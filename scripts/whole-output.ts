/**
 * Preloaded into every test process (`node --test --import ./scripts/whole-output.ts`). With
 * `--test-force-exit` a test file's process ends with `process.exit()` as soon as its last test
 * settles, and on Linux a pipe is written asynchronously: results still queued for the runner are
 * dropped, so the run reports fewer tests than ran, and a failure's name and error can vanish
 * (nodejs/node#64833). A blocking stdout hands every result to the runner before the exit.
 */
const stdout = process.stdout as { _handle?: { setBlocking?: (blocking: boolean) => void } }
stdout._handle?.setBlocking?.(true)

/**
 * What keeping every event on three servers costs: publishes with PubAck through the services' own
 * bus (message ids, the stream's expectation, as the outbox relay sends them) to a stream of one
 * replica and to one of three, on a 3-node nats-server cluster of its own on this machine.
 *
 *   node test/bench/jetstream-replicas.ts [messages=5000] [in flight=1,16,64]
 *
 * Figures and the machine they came from: docs/RELIABILITY.md, "Durability contract".
 */
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'
import { connectJetStream } from '../../packages/platform/src/index.ts'
import { startNatsCluster } from '../support/nats-cluster.ts'

const count = Number(process.argv[2] ?? 5000)
const inFlight = (process.argv[3] ?? '1,16,64').split(',').map(Number)
// About an Ordered event as the outbox stores it.
const payload = JSON.stringify({ filler: 'x'.repeat(480) })

const version = execFileSync('/usr/sbin/nats-server', ['--version'], { encoding: 'utf8' }).trim()
const nats = await startNatsCluster(3)
try {
  console.log(`${cpus().length} × ${cpus()[0]?.model}, ${version}, ${count} messages of ${payload.length} B`)
  for (const replicas of [1, 3]) {
    for (const concurrency of inFlight) {
      const stream = `BENCH_R${replicas}_${concurrency}`
      const bus = await connectJetStream({ servers: nats.url, stream, replicas })
      const latencies: number[] = []
      let next = 0
      const started = performance.now()
      const worker = async () => {
        while (next < count) {
          const i = next++
          const sent = performance.now()
          await bus.publish([{ id: `m-${i}`, type: 'Ordered', payload }])
          latencies.push(performance.now() - sent)
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
      const seconds = (performance.now() - started) / 1000
      latencies.sort((a, b) => a - b)
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
      console.log(
        `R${replicas}, ${String(concurrency).padStart(2)} in flight: ${Math.round(count / seconds)} msg/s, ` +
          `PubAck p50 ${at(0.5)?.toFixed(2)} ms, p99 ${at(0.99)?.toFixed(2)} ms`,
      )
      await bus.close()
    }
  }
} finally {
  await nats.stop()
}

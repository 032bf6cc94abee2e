import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { guarded } from './cleanup.ts'
import { note } from './progress.ts'

const host = '127.0.0.1'
const port = '5432'
const user = 'postgres'
const admin = `postgres://${user}@${host}:${port}/postgres`
export const pgbenchClients = 16
const threads = 2
const script = 'insert into t (v) values (1);\n'

export interface PgbenchFigures {
  readonly tps: number
  readonly transactions: number | undefined
  readonly failed: number | undefined
  readonly latencyAverageMs: number | undefined
}

export interface PgbenchCalibration extends PgbenchFigures {
  readonly clients: number
  readonly durationS: number
  readonly synchronousCommit: string
}

/**
 * pgbench's report. Its tps excludes connection set-up ("without initial connection time" since
 * PostgreSQL 14, "excluding connections establishing" before): the figure to take.
 */
export function parsePgbench(output: string): PgbenchFigures {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output)
    return match ? Number(match[1]) : undefined
  }
  const tps =
    number(/^tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/m) ??
    number(/^tps = ([\d.]+)/m)
  if (tps === undefined || !Number.isFinite(tps))
    throw new Error(`no "tps = …" in pgbench's output:\n${output}`)
  return {
    tps,
    transactions: number(/^number of transactions actually processed: (\d+)/m),
    failed: number(/^number of failed transactions: (\d+)/m),
    latencyAverageMs: number(/^latency average = ([\d.]+) ms/m),
  }
}

/**
 * P: single-row INSERTs per second that this PostgreSQL commits for 16 clients, each commit
 * waiting for its WAL flush (synchronous_commit on), in a database made for it and dropped after.
 */
export async function calibratePostgres(durationS: number): Promise<PgbenchCalibration> {
  const database = `cafe_bench_pgbench_${randomBytes(4).toString('hex')}`
  const dir = await mkdtemp(join(tmpdir(), 'cafe-bench-pgbench-'))
  const cleanUp = async () => {
    await rm(dir, { recursive: true, force: true })
    await adminQuery(`drop database if exists "${database}" with (force)`)
  }
  try {
    return await guarded(cleanUp, async () => {
      await adminQuery(`create database "${database}"`)
      const db = new pg.Client({ connectionString: `postgres://${user}@${host}:${port}/${database}` })
      await db.connect()
      try {
        await db.query(
          'create table t (id bigint generated always as identity primary key, v integer not null)',
        )
      } finally {
        await db.end()
      }
      const file = join(dir, 'insert.sql')
      await writeFile(file, script)
      note(`calibration: pgbench single-row INSERT, ${pgbenchClients} clients, ${durationS} s`)
      const args = ['-h', host, '-p', port, '-U', user, '-n', '-c', String(pgbenchClients)]
      args.push('-j', String(threads), '-T', String(durationS), '-f', file, database)
      const output = await run('pgbench', args, { PGOPTIONS: '-c synchronous_commit=on' })
      return {
        ...parsePgbench(output),
        clients: pgbenchClients,
        durationS,
        synchronousCommit: 'on',
      }
    })
  } finally {
    await cleanUp()
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${error.message}\n${stderr}`))
      else resolve(`${stdout}\n${stderr}`)
    })
  })
}

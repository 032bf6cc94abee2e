import type { Dialect } from './database.ts'

const safeName = /^[A-Za-z0-9_]{1,63}$/

/**
 * Creates the service's database when missing, so a fresh server needs no manual setup.
 * Connects to the server's maintenance database; a concurrent creator (another replica) is fine.
 */
export async function ensureDatabase(dialect: Exclude<Dialect, 'sqlite'>, url: string): Promise<void> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'))
  const name = decodeURIComponent(u.pathname.slice(1))
  if (!safeName.test(name)) throw new Error(`database name "${name}" must match ${safeName}`)
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg')
    u.pathname = '/postgres'
    const client = new pg.Client({ connectionString: u.toString() })
    await client.connect()
    try {
      const found = await client.query('select 1 from pg_database where datname = $1', [name])
      if (found.rowCount === 0) {
        await client.query(`create database "${name}"`).catch((error: { code?: string }) => {
          // 42P04 duplicate_database, 23505: a concurrent creator won the race.
          if (error.code !== '42P04' && error.code !== '23505') throw error
        })
      }
    } finally {
      await client.end()
    }
    return
  }
  // CommonJS: its exports are the default export's properties, bundled or not.
  const { default: mysql } = await import('mysql2/promise')
  const connection = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  })
  try {
    await connection.query(`create database if not exists \`${name}\``)
  } finally {
    await connection.end()
  }
}

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, openEvents, waitFor } from '@cafeteria/platform/testing'
import { webRoot } from '@cafeteria/web'
import { ensureBuilt } from '@cafeteria/web/build'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  await ensureBuilt()
  system = await startInMemorySystem({
    OPEN_API: 'true',
    MENU: '[{"name":"아인슈페너","en":"Einspänner","price":6000}]',
    GATEWAY_UPSTREAM_TIMEOUT_MS: '1000',
    LIVE_HEARTBEAT_MS: '200',
  })
})
after(() => system.stop())

describe('the web UI through the gateway', () => {
  for (const page of ['/', '/barista']) {
    test(`${page} is the page, revalidated on every load, compressed as the browser accepts`, async () => {
      const br = await fetch(`${system.url}${page}`, { headers: { 'accept-encoding': 'br, gzip' } })
      assert.equal(br.status, 200)
      assert.match(br.headers.get('content-type') ?? '', /^text\/html/)
      assert.equal(br.headers.get('cache-control'), 'no-cache')
      assert.equal(br.headers.get('content-encoding'), 'br')
      assert.match(await br.text(), /<div id="app">/)
      const plain = await call(`${system.url}${page}`, { headers: { 'accept-encoding': 'identity' } })
      assert.equal(plain.headers.get('content-encoding'), null)
      assert.equal(plain.body, await readFile(join(webRoot, 'index.html'), 'utf8'))
    })
  }

  test('the hashed assets are cached for a year, as immutable', async () => {
    const html = await readFile(join(webRoot, 'index.html'), 'utf8')
    const assets = [...html.matchAll(/\/assets\/[\w-]+\.(js|css)/g)].map((m) => m[0])
    assert.equal(assets.length, 2)
    for (const asset of assets) {
      const answer = await fetch(`${system.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('cache-control'), 'public, max-age=31536000, immutable')
      assert.equal(answer.headers.get('content-encoding'), 'gzip')
      await answer.arrayBuffer()
    }
    assert.equal((await call(`${system.url}/assets/nothing-here.js`)).status, 404)
  })

  test('the menu comes from MENU; the open API keeps the original’s 1000 drinks an order, without sign-in', async () => {
    const menu = await call(`${system.url}/menu`)
    assert.equal(menu.status, 200)
    assert.deepEqual(menu.body, {
      items: [{ id: '아인슈페너', name: '아인슈페너', en: 'Einspänner', price: 6000, available: true }],
      maxQty: 1000,
      signIn: false,
    })
  })
})

describe('event streams through the gateway', () => {
  test('pass through as they come, outliving the upstream deadline, and end when the gateway stops', async () => {
    const events = await openEvents(`${system.url}/drinks/queue/stream`)
    assert.equal(events.status, 200)
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/)
    assert.equal(events.headers.get('x-accel-buffering'), 'no')
    const opened = performance.now()
    assert.equal((await events.next()).event, 'queue')
    // Heartbeats every 200 ms arrive one by one: nothing gathers them; the stream outlives the 1 s
    // deadline, and one more comes after the ones seen past it.
    const late = await waitFor(
      async () => performance.now() - opened > 1200 && events.heartbeats() >= 4 && events.heartbeats(),
      10_000,
      { what: 'heartbeats past the upstream deadline' },
    )
    await waitFor(async () => events.heartbeats() > late, 5000, { what: 'a heartbeat after that' })
    await call(`${system.url}/orders`, {
      method: 'POST',
      json: { phoneNumber: '01055550001', productName: '아인슈페너', qty: 1, amt: 6000 },
    })
    assert.equal((await events.next((e) => e.data.waiting === 1)).data.waiting, 1)
    events.close()
  })

  test('a refusal passes through as the service answered it', async () => {
    const answer = await call(`${system.url}/mypages/stream?phoneNumber=nope`)
    assert.equal(answer.status, 400)
    assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
  })
})

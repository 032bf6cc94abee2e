import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Type } from 'typebox'
import { createLogger } from '../logger.ts'
import { createHttpApp, type HttpApp } from './app.ts'
import { byId, byPhoneNumber, readRoutes } from './lookups.ts'
import { signSession } from './session-token.ts'

const SECRET = Buffer.from('a-session-secret-of-32-characters!')
const mine = '01012345678'
const theirs = '01099999999'
const cups = [
  { id: 1, orderId: 7, phoneNumber: mine, size: 'tall' },
  { id: 2, orderId: 7, phoneNumber: theirs, size: 'grande' },
]
type Cup = (typeof cups)[number]
const CupView = Type.Object({ id: Type.Integer(), size: Type.String() })
const cupRoutes = {
  schema: CupView,
  view: (cup: Cup) => ({ id: cup.id, size: cup.size }),
  one: { summary: 'One cup', what: 'cup', find: async (id: number) => cups.find((c) => c.id === id) },
  search: {
    findByPhoneNumber: byPhoneNumber('A phone’s cups', async (phone) =>
      cups.filter((c) => c.phoneNumber === phone),
    ),
    findByOrderId: byId('An order’s cups', 'orderId', async (orderId) =>
      cups.filter((c) => c.orderId === orderId),
    ),
  },
}

describe('read routes', () => {
  let app: HttpApp
  const signedIn = {
    authorization: `Bearer ${signSession(SECRET, { phoneNumber: mine, sessionId: 's', expiresAt: new Date(Date.now() + 3_600_000) })}`,
  }
  const get = async (url: string, headers = signedIn) => {
    const answer = await app.inject({ method: 'GET', url, headers })
    return { status: answer.statusCode, body: answer.json() }
  }

  before(async () => {
    app = await createHttpApp({
      name: 'cups',
      logger: createLogger({ level: 'silent' }),
      access: { settings: { open: false, secret: SECRET, https: false } },
    })
    readRoutes(app, 'cups', cupRoutes)
    readRoutes(app, 'mugs', { ...cupRoutes, plain: true })
    readRoutes(app, 'racks', { ...cupRoutes, access: 'staff' })
  })
  after(() => app.close())

  test('a customer gets their own record by id; someone else’s is as missing as one that does not exist', async () => {
    assert.deepEqual(await get('/cups/1'), { status: 200, body: { id: 1, size: 'tall' } })
    for (const id of [2, 3]) {
      const { status, body } = await get(`/cups/${id}`)
      assert.equal(status, 404)
      assert.equal(body.detail, `cup ${id} does not exist`)
    }
    assert.equal((await get('/cups/0')).status, 400)
  })

  test('a search answers the HAL collection of what the customer may see, or a plain array', async () => {
    assert.deepEqual(await get('/cups/search/findByOrderId?orderId=7'), {
      status: 200,
      body: {
        _embedded: { cups: [{ id: 1, size: 'tall', _links: { self: { href: '/cups/1' } } }] },
        _links: { self: { href: '/cups/search/findByOrderId?orderId=7' } },
      },
    })
    assert.deepEqual(await get(`/mugs/search/findByPhoneNumber?phoneNumber=${theirs}`), {
      status: 200,
      body: [],
    })
    assert.deepEqual(await get('/mugs/search/findByPhoneNumber'), {
      status: 200,
      body: [{ id: 1, size: 'tall' }],
    })
    assert.equal((await get('/cups/search/findByOrderId?orderId=x')).status, 400)
  })

  test('a staff route is not the customer’s to call', async () => {
    assert.equal((await get('/racks/1')).status, 401)
  })
})

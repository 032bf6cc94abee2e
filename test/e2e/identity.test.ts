import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openEvents } from '@cafeteria/platform/testing'
import { type PhoneInbox, signIn, startPhoneInbox } from '../support/customer.ts'
import { call, startInMemorySystem, waitFor } from '../support/system.ts'

// The attacker's view of the customer routes: signed in as one customer, or not at all.
const ALICE = '01055550001'
const MALLORY = '01055550002'
const americano = { productName: '아메리카노', qty: 1, amt: 4500 }

let system: Awaited<ReturnType<typeof startInMemorySystem>>
let inbox: PhoneInbox
before(async () => {
  inbox = await startPhoneInbox()
  system = await startInMemorySystem({
    ...inbox.env,
    OPEN_API: 'false',
    STAFF_TOKEN: 'a-staff-token-for-the-counter',
    SIGN_IN_CODES_PER_PHONE: '3',
  })
})
after(async () => {
  await system.stop()
  await inbox.close()
})

const url = (path: string) => `${system.url}${path}`
const isProblem = (answer: { headers: Headers }) =>
  assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/)

describe('signing in with a phone', () => {
  test('a code goes to the phone, and the code gives a session that the API takes as a bearer token', async () => {
    const alice = await signIn(system.url, inbox, ALICE)
    const session = await call(url('/auth/session'), { headers: alice.headers })
    assert.equal(session.status, 200)
    assert.equal(session.body.phoneNumber, ALICE)
    assert.match(alice.cookie, /cafe_session=.+; .*HttpOnly/i)
    assert.match(alice.cookie, /SameSite=Strict/i)
  })

  test('every valid phone is answered alike; a bad one is 400', async () => {
    const a = await call(url('/auth/code'), { method: 'POST', json: { phoneNumber: '01055559991' } })
    const b = await call(url('/auth/code'), { method: 'POST', json: { phoneNumber: '010-5555-9992' } })
    assert.equal(a.status, 202)
    assert.deepEqual(a.body, b.body)
    const bad = await call(url('/auth/code'), { method: 'POST', json: { phoneNumber: '12345' } })
    assert.equal(bad.status, 400)
    isProblem(bad)
  })

  test('a wrong code is 401; the sixth try is refused even with the right code', async () => {
    const phoneNumber = '01055550010'
    const since = inbox.messages.length
    await call(url('/auth/code'), { method: 'POST', json: { phoneNumber } })
    const code = await inbox.codeFor(phoneNumber, since)
    const wrong = code === '000000' ? '000001' : '000000'
    for (let i = 0; i < 5; i++) {
      const answer = await call(url('/auth/token'), { method: 'POST', json: { phoneNumber, code: wrong } })
      assert.equal(answer.status, 401)
      isProblem(answer)
    }
    const right = await call(url('/auth/token'), { method: 'POST', json: { phoneNumber, code } })
    assert.equal(right.status, 401)
  })

  test('a code signs in once: used again it is 401', async () => {
    const phoneNumber = '01055550011'
    const since = inbox.messages.length
    await call(url('/auth/code'), { method: 'POST', json: { phoneNumber } })
    const code = await inbox.codeFor(phoneNumber, since)
    assert.equal(
      (await call(url('/auth/token'), { method: 'POST', json: { phoneNumber, code } })).status,
      200,
    )
    assert.equal(
      (await call(url('/auth/token'), { method: 'POST', json: { phoneNumber, code } })).status,
      401,
    )
  })

  test('a new code replaces the old one', async () => {
    const phoneNumber = '01055550012'
    let since = inbox.messages.length
    await call(url('/auth/code'), { method: 'POST', json: { phoneNumber } })
    const first = await inbox.codeFor(phoneNumber, since)
    since = inbox.messages.length
    await call(url('/auth/code'), { method: 'POST', json: { phoneNumber } })
    const second = await inbox.codeFor(phoneNumber, since)
    if (first !== second) {
      const old = await call(url('/auth/token'), { method: 'POST', json: { phoneNumber, code: first } })
      assert.equal(old.status, 401)
    }
    const fresh = await call(url('/auth/token'), { method: 'POST', json: { phoneNumber, code: second } })
    assert.equal(fresh.status, 200)
  })

  test('codes per phone are limited: over the limit is 429 with Retry-After', async () => {
    const phoneNumber = '01055550013'
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(url('/auth/code'), { method: 'POST', json: { phoneNumber } })).status, 202)
    }
    const over = await call(url('/auth/code'), { method: 'POST', json: { phoneNumber } })
    assert.equal(over.status, 429)
    isProblem(over)
    assert.ok(Number(over.headers.get('retry-after')) > 0)
  })

  test('signing out ends the session at once: the token is refused and the cookie cleared', async () => {
    const phoneNumber = '01055550014'
    const session = await signIn(system.url, inbox, phoneNumber)
    const out = await call(url('/auth/logout'), { method: 'POST', headers: session.headers })
    assert.equal(out.status, 204)
    assert.match(out.headers.get('set-cookie') ?? '', /cafe_session=;/)
    const after = await call(url('/mypages/search/findByPhoneNumber'), { headers: session.headers })
    assert.equal(after.status, 401)
    const order = await call(url('/orders'), { method: 'POST', json: americano, headers: session.headers })
    assert.equal(order.status, 401)
  })
})

describe('another customer’s data looks like data that does not exist', () => {
  let alice: Awaited<ReturnType<typeof signIn>>
  let mallory: Awaited<ReturnType<typeof signIn>>
  let orderId: number
  let paymentId: number
  before(async () => {
    alice = await signIn(system.url, inbox, ALICE)
    mallory = await signIn(system.url, inbox, MALLORY)
    const placed = await call(url('/orders'), { method: 'POST', json: americano, headers: alice.headers })
    assert.equal(placed.status, 201)
    assert.equal(placed.body.phoneNumber, ALICE)
    orderId = placed.body.id
    paymentId = await waitFor(async () => {
      const found = await call(url(`/payments/search/findByOrderId?orderId=${orderId}`), {
        headers: alice.headers,
      })
      return found.body._embedded?.payments[0]?.id as number | undefined
    })
    // Alice's points and messages exist before Mallory looks.
    await waitFor(async () => {
      const points = await call(url('/points/search/findByPhoneNumber'), { headers: alice.headers })
      const notes = await call(url('/notifications/search/findByPhoneNumber'), { headers: alice.headers })
      return points.body._embedded.points.length > 0 && notes.body._embedded.notifications.length > 0
    })
  })

  test('without a session every customer route is 401 with a problem body', async () => {
    for (const path of [
      `/orders/${orderId}`,
      `/payments/${paymentId}`,
      `/mypages/search/findByPhoneNumber?phoneNumber=${ALICE}`,
      `/points/search/findByPhoneNumber?phoneNumber=${ALICE}`,
      `/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${ALICE}`,
      `/notifications/search/findByPhoneNumber?phoneNumber=${ALICE}`,
      `/mypages/stream?phoneNumber=${ALICE}`,
    ]) {
      const answer = await call(url(path))
      assert.equal(answer.status, 401, path)
      isProblem(answer)
    }
    const placed = await call(url('/orders'), { method: 'POST', json: { ...americano, phoneNumber: ALICE } })
    assert.equal(placed.status, 401)
    const forged = await call(url(`/orders/${orderId}`), { headers: { authorization: 'Bearer x.y' } })
    assert.equal(forged.status, 401)
  })

  test('by id: the order, its payment, My Page entry, history entries and messages are 404 to another', async () => {
    const own = await call(url(`/orders/${orderId}`), { headers: alice.headers })
    assert.equal(own.status, 200)
    assert.equal((await call(url(`/orders/${orderId}`), { headers: mallory.headers })).status, 404)
    assert.equal((await call(url(`/payments/${paymentId}`), { headers: mallory.headers })).status, 404)
    const payments = await call(url(`/payments/search/findByOrderId?orderId=${orderId}`), {
      headers: mallory.headers,
    })
    assert.deepEqual(payments.body._embedded.payments, [])
    const pages = await call(url(`/mypages/search/findByOrderId?orderId=${orderId}`), {
      headers: mallory.headers,
    })
    assert.deepEqual(pages.body, [])
    const history = await call(url(`/pointHistories/search/findByOrderId?orderId=${orderId}`), {
      headers: mallory.headers,
    })
    assert.deepEqual(history.body._embedded.pointHistories, [])
    const balance = await call(url('/points/search/findByPhoneNumber'), { headers: alice.headers })
    const balanceId = balance.body._embedded.points[0].id
    assert.equal((await call(url(`/points/${balanceId}`), { headers: mallory.headers })).status, 404)
    assert.equal((await call(url(`/points/${balanceId}`), { headers: alice.headers })).status, 200)
    const entries = await call(url(`/pointHistories/search/findByOrderId?orderId=${orderId}`), {
      headers: alice.headers,
    })
    const entryId = entries.body._embedded.pointHistories[0].id
    assert.equal((await call(url(`/pointHistories/${entryId}`), { headers: mallory.headers })).status, 404)
    assert.equal((await call(url(`/pointHistories/${entryId}`), { headers: alice.headers })).status, 200)
    const page = await call(url(`/mypages/search/findByOrderId?orderId=${orderId}`), {
      headers: alice.headers,
    })
    assert.equal((await call(url(`/mypages/${page.body[0].id}`), { headers: mallory.headers })).status, 404)
    const notes = await call(url('/notifications/search/findByPhoneNumber'), { headers: alice.headers })
    const noteId = notes.body._embedded.notifications[0].id
    assert.equal((await call(url(`/notifications/${noteId}`), { headers: mallory.headers })).status, 404)
    assert.equal((await call(url(`/notifications/${noteId}`), { headers: alice.headers })).status, 200)
  })

  test('by phone: searches naming another phone find nothing; the live view of another is 404', async () => {
    const searches = {
      [`/mypages/search/findByPhoneNumber?phoneNumber=${ALICE}`]: (b: any) => b,
      [`/points/search/findByPhoneNumber?phoneNumber=${ALICE}`]: (b: any) => b._embedded.points,
      [`/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${ALICE}`]: (b: any) =>
        b._embedded.pointHistories,
      [`/notifications/search/findByPhoneNumber?phoneNumber=${ALICE}`]: (b: any) => b._embedded.notifications,
    }
    for (const [path, items] of Object.entries(searches)) {
      const asMallory = await call(url(path), { headers: mallory.headers })
      assert.equal(asMallory.status, 200, path)
      assert.deepEqual(items(asMallory.body), [], path)
      const asAlice = await call(url(path), { headers: alice.headers })
      assert.ok(items(asAlice.body).length > 0, path)
    }
    for (const path of ['/mypages/stream', '/points/stream']) {
      const stream = await call(url(`${path}?phoneNumber=${ALICE}`), { headers: mallory.headers })
      assert.equal(stream.status, 404, path)
    }
    const own = await openEvents(url('/mypages/stream'), alice.headers)
    assert.equal(own.status, 200)
    const view = await own.next()
    own.close()
    assert.ok(view.data.orders.some((o: { orderId: number }) => o.orderId === orderId))
  })

  test('an order is placed for the signed-in phone only: naming another is 403', async () => {
    const placed = await call(url('/orders'), {
      method: 'POST',
      json: { ...americano, phoneNumber: ALICE },
      headers: mallory.headers,
    })
    assert.equal(placed.status, 403)
    isProblem(placed)
  })

  test('cancelling another customer’s order is 404 and changes nothing', async () => {
    const cancel = await call(url(`/orders/${orderId}`), {
      method: 'PATCH',
      json: { status: 'OrderCanceled' },
      headers: mallory.headers,
    })
    assert.equal(cancel.status, 404)
    const order = await call(url(`/orders/${orderId}`), { headers: alice.headers })
    assert.equal(order.body.status, 'Ordered')
  })

  test('the session cookie works for the web UI; a change it carries from another site is refused', async () => {
    const cookie = alice.cookie.split(';')[0] as string
    const page = await call(url('/mypages/search/findByPhoneNumber'), { headers: { cookie } })
    assert.equal(page.status, 200)
    const crossSite = await call(url('/orders'), {
      method: 'POST',
      json: americano,
      headers: { cookie, origin: 'https://evil.example' },
    })
    assert.equal(crossSite.status, 403)
    isProblem(crossSite)
    const noOrigin = await call(url('/orders'), { method: 'POST', json: americano, headers: { cookie } })
    assert.equal(noOrigin.status, 403)
    const sameSite = await call(url('/orders'), {
      method: 'POST',
      json: americano,
      headers: { cookie, origin: system.url },
    })
    assert.equal(sameSite.status, 201)
  })
})

describe('a code expires', () => {
  test('after its time a code is 401, even the right one', async () => {
    await using codes = await startPhoneInbox()
    const short = await startInMemorySystem({
      ...codes.env,
      OPEN_API: 'false',
      SIGN_IN_CODE_TTL_SECONDS: '1',
    })
    try {
      const phoneNumber = '01055550020'
      const asked = await call(`${short.url}/auth/code`, { method: 'POST', json: { phoneNumber } })
      const sentAt = Date.now()
      assert.equal(asked.body.expiresInSeconds, 1)
      const code = await codes.codeFor(phoneNumber)
      // Only the passing of time expires a code: waiting longer than it can only make it more so.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + 1100 - Date.now())))
      const late = await call(`${short.url}/auth/token`, { method: 'POST', json: { phoneNumber, code } })
      assert.equal(late.status, 401)
      assert.equal(late.body.type, 'https://cafeteria.dev/problems/sign-in-refused')
    } finally {
      await short.stop()
    }
  })
})

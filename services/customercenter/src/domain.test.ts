import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  evolve,
  type MyPage,
  type MyPageEvent,
  type MyPageEventType,
  type MyPageStatus,
  noFacts,
  notificationFor,
  settleAttempt,
  statusOf,
} from './domain.ts'
import { defaultTemplates } from './templates.ts'

const product = { phoneNumber: '01012345679', productName: 'latte', qty: 2 }
const data = {
  Ordered: { ...product, amt: 900, paymentId: 4 },
  Receipted: product,
  Made: product,
  OrderCanceled: { ...product, amt: 900, paymentId: 4, pointsDeducted: 90 },
  CancelFailed: { ...product, drinkStatus: 'Receipted' as const },
  DrinkCanceled: product,
  PaymentCanceled: { paymentId: 4, phoneNumber: '01012345679', amt: 900 },
}
const event = (type: MyPageEventType, overrides: object = {}): MyPageEvent =>
  ({
    id: `${type}-1`,
    type,
    source: 'test',
    orderId: 5,
    occurredAt: '2026-01-01T00:00:00.000Z',
    data: { ...data[type], ...overrides },
  }) as MyPageEvent

const fold = (events: readonly MyPageEvent[]) => events.reduce<MyPage | undefined>(evolve, undefined)

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]]
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  )
}

const flows: ReadonlyArray<{ name: string; types: MyPageEventType[]; steps: MyPageStatus[] }> = [
  {
    name: 'ordered, receipted, made',
    types: ['Ordered', 'Receipted', 'Made'],
    steps: ['Ordered', 'Receipted', 'Made'],
  },
  {
    name: 'cancelled before the barista started',
    types: ['Ordered', 'OrderCanceled', 'DrinkCanceled', 'PaymentCanceled'],
    steps: ['Ordered', 'OrderCanceled', 'OrderCanceled', 'PaymentCanceled'],
  },
  {
    name: 'cancel refused because the barista had started',
    types: ['Ordered', 'Receipted', 'OrderCanceled', 'CancelFailed'],
    steps: ['Ordered', 'Receipted', 'OrderCanceled', 'Receipted'],
  },
]

describe('My Page', () => {
  for (const flow of flows) {
    test(`given no events, when the ${flow.name} events arrive in order, then the status goes ${flow.steps.join(' → ')}`, () => {
      let page: MyPage | undefined
      const seen = flow.types.map((type) => {
        page = evolve(page, event(type))
        return page.status
      })
      assert.deepEqual(seen, flow.steps)
    })

    test(`given the ${flow.name} events in any of their ${permutations(flow.types).length} orders, then the page ends the same, with every detail`, () => {
      const expected = fold(flow.types.map((t) => event(t)))
      assert.equal(expected?.status, flow.steps.at(-1))
      assert.deepEqual(
        {
          orderId: expected?.orderId,
          phoneNumber: expected?.phoneNumber,
          productName: expected?.productName,
          qty: expected?.qty,
          amt: expected?.amt,
        },
        { orderId: 5, phoneNumber: '01012345679', productName: 'latte', qty: 2, amt: 900 },
      )
      for (const order of permutations(flow.types)) {
        assert.deepEqual(fold(order.map((t) => event(t))), expected, order.join(' → '))
      }
    })

    test(`given the ${flow.name} events, when each arrives twice, then nothing changes`, () => {
      const once = fold(flow.types.map((t) => event(t)))
      const twice = fold(flow.types.flatMap((t) => [event(t), event(t)]))
      assert.deepEqual(twice, once)
    })
  }

  test('the status follows the facts: a payment refund, then an unrefused cancel, then the drink', () => {
    assert.equal(statusOf(noFacts), 'Ordered')
    assert.equal(statusOf({ ...noFacts, ordered: true, receipted: true }), 'Receipted')
    assert.equal(statusOf({ ...noFacts, receipted: true, made: true }), 'Made')
    assert.equal(statusOf({ ...noFacts, made: true, cancelRequested: true }), 'OrderCanceled')
    assert.equal(statusOf({ ...noFacts, made: true, cancelRequested: true, cancelFailed: true }), 'Made')
    assert.equal(statusOf({ ...noFacts, cancelRequested: true, cancelFailed: true }), 'Ordered')
    assert.equal(statusOf({ ...noFacts, made: true, paymentCanceled: true }), 'PaymentCanceled')
  })

  test('given only a refund, then the page shows it with the amount, and the product once a later event tells it', () => {
    const refunded = evolve(undefined, event('PaymentCanceled'))
    assert.equal(refunded.status, 'PaymentCanceled')
    assert.equal(refunded.amt, 900)
    assert.equal(refunded.productName, null)
    const completed = evolve(refunded, event('DrinkCanceled'))
    assert.equal(completed.productName, 'latte')
    assert.equal(completed.qty, 2)
    assert.equal(completed.status, 'PaymentCanceled')
  })

  test('given a cancel refused for a drink already made, when that is all we heard, then the page says Made', () => {
    assert.equal(evolve(undefined, event('CancelFailed', { drinkStatus: 'Made' })).status, 'Made')
  })

  test('given a cancel before the drink was cancelled, when DrinkCanceled comes, then it stays OrderCanceled', () => {
    const page = fold([event('Ordered'), event('DrinkCanceled')])
    assert.equal(page?.status, 'OrderCanceled')
    assert.equal(page?.facts.drinkCanceled, true)
  })
})

describe('notifications', () => {
  test('each step the customer cares about sends its message; the steps of a cancel in progress do not', () => {
    const page = fold([event('Ordered')]) as MyPage
    const sent = (type: MyPageEventType) => notificationFor(event(type), page, defaultTemplates)
    assert.deepEqual(sent('Ordered'), {
      orderId: 5,
      phoneNumber: '01012345679',
      kind: 'Ordered',
      message: 'Your Order is Ordered',
    })
    assert.equal(sent('Receipted')?.message, 'Your Order is Receipted')
    assert.equal(sent('Made')?.message, 'Your Order is Made\nCome and Take it, Please!')
    assert.equal(sent('PaymentCanceled')?.message, 'Your Payment is Canceled')
    assert.equal(sent('CancelFailed')?.message, 'Your Order is already started. You cannot cancel!!')
    assert.equal(sent('OrderCanceled'), undefined)
    assert.equal(sent('DrinkCanceled'), undefined)
  })

  test('a template is filled from the page; a detail not known yet renders empty', () => {
    const templates = {
      ...defaultTemplates,
      Made: '{qty} x {productName} ready (order {orderId}, {amt} won)',
    }
    const page = fold([event('Ordered')]) as MyPage
    assert.equal(
      notificationFor(event('Made'), page, templates)?.message,
      '2 x latte ready (order 5, 900 won)',
    )
    const early = evolve(undefined, event('Made'))
    assert.equal(notificationFor(event('Made'), early, templates)?.message, '2 x latte ready (order 5,  won)')
  })

  const retryDelay = (attempt: number) => 1000 * attempt
  const now = new Date('2026-01-01T00:00:00Z')

  test('a delivered notification is sent at that time', () => {
    assert.deepEqual(settleAttempt({ attempts: 1 }, { ok: true }, { now, maxAttempts: 3, retryDelay }), {
      status: 'sent',
      sentTime: now,
    })
  })

  test('a failed delivery is tried again later, backing off with each attempt', () => {
    assert.deepEqual(
      settleAttempt(
        { attempts: 2 },
        { ok: false, error: 'webhook answered 500' },
        { now, maxAttempts: 3, retryDelay },
      ),
      {
        status: 'pending',
        nextAttemptAt: new Date('2026-01-01T00:00:02Z'),
        lastError: 'webhook answered 500',
      },
    )
  })

  test('after the last attempt a notification is kept as failed, with the last error', () => {
    assert.deepEqual(
      settleAttempt({ attempts: 3 }, { ok: false, error: 'timed out' }, { now, maxAttempts: 3, retryDelay }),
      { status: 'failed', lastError: 'timed out' },
    )
  })
})

import { useEffect, useRef, useState } from 'preact/hooks'
import { type PlacedOrder, type Problem, type QueueView, request } from './api.ts'
import { useLang } from './lang.ts'
import { follow } from './live.ts'
import {
  type FormProblem,
  type Menu,
  type MenuItem,
  minutesOf,
  newIdempotencyKey,
  normalizePhone,
  problemsOf,
  totalOf,
  type Who,
} from './order.ts'
import { won } from './shell.tsx'

const fieldOf: Record<FormProblem, string> = { product: 'menu-0', qty: 'qty', amount: 'qty', phone: 'phone' }

/** The order screen: menu, quantity, the phone in open mode, total, the queue, and paying exactly once. */
export function OrderForm(props: {
  menu: Menu
  who: Who
  /** An order was refused as unprocessable, perhaps for a menu changed since (a price, a drink sold out). */
  menuChanged: () => void
  /** The server no longer takes the session. */
  sessionEnded: () => void
}) {
  const { who } = props
  const { items, maxQty } = props.menu
  const { lang, t } = useLang()
  // By id: the menu may load again (after a refusal) in another order.
  const [choice, setChoice] = useState<string | undefined>(undefined)
  const [qty, setQty] = useState(1)
  const [phone, setPhone] = useState(who.kind === 'typed' ? who.phone : '')
  const [tried, setTried] = useState(false)
  const [inFlight, setInFlight] = useState(false)
  const [problem, setProblem] = useState<Problem | undefined>()
  const [placed, setPlaced] = useState<PlacedOrder | undefined>()
  const [queue, setQueue] = useState<QueueView | undefined>()
  // One key per intended order: a retry or a second click sends the same key and body again.
  const pending = useRef<{ key: string; body: string } | undefined>(undefined)

  useEffect(() => follow('/drinks/queue/stream', { on: { queue: setQueue }, state: () => {} }), [])

  const item = items.find((m) => m.id === choice)
  const draft = { item, qty, phone: who.kind === 'typed' ? phone : undefined }
  const problems = problemsOf(draft, maxQty)
  const total = totalOf(draft)
  const name = (i: Pick<MenuItem, 'name' | 'en'>) => (lang === 'en' && i.en ? i.en : i.name)

  async function pay() {
    if (inFlight) return
    setTried(true)
    setPlaced(undefined)
    if (problems.length > 0) {
      const first = problems[0] as FormProblem
      // A sold-out drink cannot take the focus: the first one on sale does.
      const onSale = Math.max(
        0,
        items.findIndex((m) => m.available),
      )
      document.getElementById(first === 'product' ? `menu-${onSale}` : fieldOf[first])?.focus()
      return
    }
    // The amount shown goes along: if the price changed since, the order is refused, not charged more.
    // Signed in, the session names the customer: no phone number goes with the order.
    const phoneNumber = who.kind === 'typed' ? normalizePhone(phone) : undefined
    const order = {
      ...(phoneNumber === undefined ? {} : { phoneNumber }),
      productId: item?.id,
      qty,
      amt: total,
    }
    const body = JSON.stringify(order)
    if (pending.current?.body !== body) {
      pending.current = { key: newIdempotencyKey((bytes) => crypto.getRandomValues(bytes)), body }
    }
    setInFlight(true)
    setProblem(undefined)
    const answer = await request<PlacedOrder>('POST', '/orders', {
      body: order,
      headers: { 'idempotency-key': pending.current.key },
    })
    setInFlight(false)
    if (answer.ok) {
      pending.current = undefined
      setPlaced(answer.body)
      if (who.kind === 'typed' && phoneNumber !== undefined) who.remember(phoneNumber)
    } else if (answer.problem.status === 401) {
      props.sessionEnded()
    } else {
      if (answer.problem.status === 422) props.menuChanged()
      setProblem(answer.problem)
      document.getElementById('order-problem')?.focus()
    }
  }

  const shown = tried ? problems : []
  const describe = (p: Problem) =>
    p.status === 0
      ? t('offline')
      : p.status === 503 && p.type?.endsWith('/payment-unavailable')
        ? t('paymentUnavailable', { seconds: p.retryAfterSeconds ?? 5 })
        : t('failed', { detail: p.detail })

  return (
    <form
      class="card order"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void pay()
      }}
    >
      <fieldset class="menu" aria-describedby={shown.includes('product') ? 'problem-product' : undefined}>
        <legend>{t('menu')}</legend>
        {items.map((m, i) => (
          <label
            class={`item ${choice === m.id ? 'chosen' : ''} ${m.available ? '' : 'unavailable'}`}
            key={m.id}
          >
            <input
              type="radio"
              name="product"
              id={`menu-${i}`}
              checked={choice === m.id}
              disabled={!m.available}
              onChange={() => setChoice(m.id)}
            />
            <span class="item-name">{name(m)}</span>
            <span class="item-price">{m.available ? won(t, m.price) : t('soldOut')}</span>
          </label>
        ))}
      </fieldset>
      {shown.includes('product') && (
        <p class="field-problem" id="problem-product">
          {t('problem_product')}
        </p>
      )}

      <div class="row">
        <div class="field">
          <label for="qty">{t('qty')}</label>
          <div class="stepper">
            <button type="button" aria-label={t('less')} onClick={() => setQty(Math.max(1, qty - 1))}>
              −
            </button>
            <input
              id="qty"
              type="number"
              inputMode="numeric"
              min={1}
              max={maxQty}
              value={Number.isNaN(qty) ? '' : qty}
              aria-invalid={shown.includes('qty') || shown.includes('amount')}
              aria-describedby="problem-qty"
              onInput={(e) => setQty(Number.parseInt((e.target as HTMLInputElement).value, 10))}
            />
            <button
              type="button"
              aria-label={t('more')}
              onClick={() => setQty(Math.min(maxQty, (qty || 0) + 1))}
            >
              +
            </button>
          </div>
          <p class="field-problem" id="problem-qty">
            {shown.includes('qty')
              ? t('problem_qty', { max: maxQty })
              : shown.includes('amount')
                ? t('problem_amount')
                : ''}
          </p>
        </div>
        {who.kind === 'typed' && (
          <div class="field">
            <label for="phone">{t('phone')}</label>
            <input
              id="phone"
              type="tel"
              inputMode="tel"
              autoComplete="tel"
              placeholder={t('phoneHint')}
              value={phone}
              aria-invalid={shown.includes('phone')}
              aria-describedby="problem-phone"
              onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
            />
            <p class="field-problem" id="problem-phone">
              {shown.includes('phone') ? t('problem_phone') : ''}
            </p>
          </div>
        )}
      </div>

      <p class="total" aria-live="polite">
        <span>{t('total')}</span> <strong>{won(t, total)}</strong>
      </p>
      {queue && (
        <p class="queue" aria-live="polite">
          {t('queueNow', { waiting: queue.waiting, inProgress: queue.inProgress })} ·{' '}
          <strong>{t('waitEstimate', { minutes: minutesOf(queue.estimatedWaitSeconds) })}</strong>
        </p>
      )}

      <button type="submit" class="primary" disabled={inFlight} aria-busy={inFlight}>
        {inFlight ? t('paying') : t('orderAndPay')}
      </button>

      {problem && (
        <div class="problem" id="order-problem" role="alert" tabIndex={-1}>
          <p>{describe(problem)}</p>
          {problem.status === 503 || problem.status === 0 || problem.status === 409 ? (
            <button type="button" disabled={inFlight} onClick={() => void pay()}>
              {t('payAgain')}
            </button>
          ) : null}
        </div>
      )}
      {placed && (
        <div class="placed" role="status">
          <p>
            {t('placed', {
              id: placed.id,
              product: name(items.find((m) => m.name === placed.productName) ?? { name: placed.productName }),
              qty: placed.qty,
              amount: won(t, placed.amt),
            })}
          </p>
          <a href="#/mypage">{t('follow')}</a>
        </div>
      )}
    </form>
  )
}

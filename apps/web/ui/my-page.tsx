import { useEffect, useState } from 'preact/hooks'
import { type MyPageView, type PointsView, type Problem, type QueueView, request } from './api.ts'
import { formatNumber } from './i18n.ts'
import { useLang } from './lang.ts'
import { follow, type LiveState } from './live.ts'
import { isPhoneNumber, minutesOf, normalizePhone, type Who } from './order.ts'
import { LiveBadge, timeOf, won } from './shell.tsx'
import { formatPhone } from './sign-in.ts'

type Order = MyPageView['orders'][number]

/**
 * Follows the customer's three live views: orders (customercenter), queue (drink), points (point).
 * `query` is `?phoneNumber=…` in open mode, empty for the signed-in customer (the server takes the
 * session's), undefined while there is no one to follow.
 */
function useCustomer(query: string | undefined) {
  const [page, setPage] = useState<MyPageView | undefined>()
  const [queue, setQueue] = useState<QueueView | undefined>()
  const [points, setPoints] = useState<PointsView | undefined>()
  const [state, setState] = useState<LiveState>('connecting')
  useEffect(() => {
    setPage(undefined)
    setQueue(undefined)
    setPoints(undefined)
    if (query === undefined) return
    const stops = [
      follow(`/mypages/stream${query}`, { on: { mypage: setPage }, state: setState }),
      follow(`/drinks/queue/stream${query}`, { on: { queue: setQueue }, state: () => {} }),
      follow(`/points/stream${query}`, { on: { points: setPoints }, state: () => {} }),
    ]
    return () => {
      for (const stop of stops) stop()
    }
  }, [query])
  return { page, queue, points, state }
}

/**
 * My Page: the customer's orders as they move, the points, the messages; cancel while it can work.
 * Signed in, the session's customer's and no one else's; in open mode, the phone number typed in.
 */
export function MyPage(props: { who: Who; sessionEnded: () => void }) {
  const { t } = useLang()
  const { who } = props
  const query =
    who.kind === 'session'
      ? ''
      : isPhoneNumber(who.phone)
        ? `?phoneNumber=${encodeURIComponent(normalizePhone(who.phone))}`
        : undefined
  const { page, queue, points, state } = useCustomer(query)
  useEffect(() => {
    if (state === 'unauthorized') props.sessionEnded()
  }, [state])

  return (
    <div class="mypage">
      {who.kind === 'session' ? (
        <p class="who">{t('signedInAs', { phone: formatPhone(who.phoneNumber) })}</p>
      ) : (
        <Lookup who={who} />
      )}

      {query !== undefined && (
        <>
          <LiveBadge state={state} />
          <section class="card" aria-labelledby="orders-title">
            <h2 id="orders-title">{t('myOrders')}</h2>
            {page && page.orders.length === 0 && <p class="empty">{t('noOrders')}</p>}
            <ul class="orders">
              {page?.orders.map((order) => (
                <OrderCard
                  key={order.orderId}
                  order={order}
                  queue={queue}
                  points={points}
                  sessionEnded={props.sessionEnded}
                />
              ))}
            </ul>
          </section>
          <div class="columns">
            <Points points={points} />
            <Notifications page={page} />
          </div>
        </>
      )}
    </div>
  )
}

/** Open mode's lookup: any phone number, as in the original. */
function Lookup(props: { who: Extract<Who, { kind: 'typed' }> }) {
  const { t } = useLang()
  const [typed, setTyped] = useState(props.who.phone)
  const [tried, setTried] = useState(false)
  return (
    <form
      class="card lookup"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        setTried(true)
        if (isPhoneNumber(typed)) props.who.remember(normalizePhone(typed))
        else document.getElementById('lookup-phone')?.focus()
      }}
    >
      <label for="lookup-phone">{t('phone')}</label>
      <div class="inline">
        <input
          id="lookup-phone"
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          placeholder={t('phoneHint')}
          value={typed}
          aria-invalid={tried && !isPhoneNumber(typed)}
          aria-describedby="lookup-problem"
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
        />
        <button type="submit">{t('lookup')}</button>
      </div>
      <p class="field-problem" id="lookup-problem">
        {tried && !isPhoneNumber(typed) ? t('problem_phone') : ''}
      </p>
    </form>
  )
}

const STEPS = ['Ordered', 'Receipted', 'Made'] as const

function OrderCard(props: {
  order: Order
  queue: QueueView | undefined
  points: PointsView | undefined
  sessionEnded: () => void
}) {
  const { t } = useLang()
  const { order } = props
  const [canceling, setCanceling] = useState(false)
  const [problem, setProblem] = useState<Problem | undefined>()
  const place = props.queue?.orders.find((o) => o.orderId === order.orderId)
  const restored = props.points?.history.find((h) => h.orderId === order.orderId && h.type === 'Restore')
  const cancellable = order.status === 'Ordered' && !order.cancelRequested && place?.status !== 'Receipted'
  const canceled = order.status === 'OrderCanceled' || order.status === 'PaymentCanceled'
  const step = STEPS.indexOf(order.status as (typeof STEPS)[number])

  async function cancel() {
    setCanceling(true)
    setProblem(undefined)
    const answer = await request('PATCH', `/orders/${order.orderId}`, { body: { status: 'OrderCanceled' } })
    setCanceling(false)
    if (!answer.ok && answer.problem.status === 401) props.sessionEnded()
    else if (!answer.ok) setProblem(answer.problem)
  }

  return (
    <li class={`order-card status-${order.status}`} data-order={order.orderId}>
      <div class="order-head">
        <span class="order-id">#{order.orderId}</span>
        <span class="order-what">
          {order.productName} × {order.qty}
        </span>
        {order.amt !== null && <span class="order-amt">{won(t, order.amt)}</span>}
      </div>
      <p class="order-status" aria-live="polite">
        <strong>{t(`status_${order.status}`)}</strong>
        {place?.status === 'PaymentApproved' && place.position !== null && !canceled && (
          <span class="order-place">
            {' '}
            · {t('position', { position: place.position, minutes: minutesOf(place.estimatedWaitSeconds) })}
          </span>
        )}
        {place?.status === 'Receipted' && (
          <span class="order-place">
            {' '}
            · {t('making', { minutes: minutesOf(place.estimatedWaitSeconds) })}
          </span>
        )}
      </p>
      {!canceled && (
        <ol class="steps" aria-hidden="true">
          {STEPS.map((s, i) => (
            <li key={s} class={i <= step ? 'done' : ''}>
              {t(`step_${s}`)}
            </li>
          ))}
        </ol>
      )}
      {order.cancelRefused && (
        <div class="refused" role="alert">
          <p>{t('cancelRefused')}</p>
          {restored && <p>{t('pointsRestored', { points: formatNumber(restored.point) })}</p>}
        </div>
      )}
      {problem && (
        <p class="problem" role="alert">
          {problem.status === 0 ? t('offline') : t('failed', { detail: problem.detail })}
        </p>
      )}
      {cancellable && (
        <button type="button" class="danger" disabled={canceling} onClick={() => void cancel()}>
          {canceling ? t('canceling') : t('cancel')}
        </button>
      )}
    </li>
  )
}

function Points(props: { points: PointsView | undefined }) {
  const { lang, t } = useLang()
  const { points } = props
  return (
    <section class="card" aria-labelledby="points-title">
      <h2 id="points-title">
        {t('points')}{' '}
        <span class="balance" data-testid="balance">
          {points ? t('balance', { points: formatNumber(points.point) }) : ''}
        </span>
      </h2>
      {points && points.history.length === 0 && <p class="empty">{t('noPoints')}</p>}
      <ul class="history">
        {points?.history.map((h, i) => (
          <li key={`${h.orderId}-${h.type}-${i}`} class={`kind-${h.type}`}>
            <span>
              {t(`point_${h.type}`)} · #{h.orderId} {h.productName}
            </span>
            <span class="num">
              {h.point > 0 ? '+' : ''}
              {formatNumber(h.point)}
            </span>
            <time dateTime={h.createTime}>{timeOf(h.createTime, lang)}</time>
          </li>
        ))}
      </ul>
    </section>
  )
}

function Notifications(props: { page: MyPageView | undefined }) {
  const { lang, t } = useLang()
  const list = props.page?.notifications ?? []
  return (
    <section class="card" aria-labelledby="notes-title">
      <h2 id="notes-title">{t('notifications')}</h2>
      {props.page && list.length === 0 && <p class="empty">{t('noNotifications')}</p>}
      <ul class="notifications" aria-live="polite">
        {list.map((n) => (
          <li key={n.id}>
            <span class="message">{n.message}</span>
            <time dateTime={n.createTime}>
              #{n.orderId} · {timeOf(n.createTime, lang)}
            </time>
          </li>
        ))}
      </ul>
    </section>
  )
}

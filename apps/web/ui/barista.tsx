import { useEffect, useState } from 'preact/hooks'
import { type BoardView, type Problem, request, type Ticket } from './api.ts'
import { useLang } from './lang.ts'
import { follow, type LiveState } from './live.ts'
import { minutesOf } from './order.ts'
import { LiveBadge, Shell, timeOf, won } from './shell.tsx'

const TOKEN = 'cafe.staffToken'

/** The counter screen: tickets oldest first, phones masked; accept and finish them with the staff token. */
export function Barista() {
  const { lang, t } = useLang()
  const [token, setToken] = useState(sessionStorage.getItem(TOKEN) ?? '')
  const [board, setBoard] = useState<BoardView | undefined>()
  const [state, setState] = useState<LiveState>('connecting')
  const [problem, setProblem] = useState<Problem | undefined>()
  const [busy, setBusy] = useState<number | undefined>()
  // Seconds to wait after too many wrong tokens from this address (the server answers 429).
  const [limited, setLimited] = useState<number | undefined>()
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}

  // Asked first, so a missing or wrong token shows the prompt rather than a refused stream.
  useEffect(() => {
    let stop: (() => void) | undefined
    let gone = false
    void request<{ granted: boolean }>('GET', '/drinks/board/access', { headers: auth }).then((answer) => {
      if (gone) return
      const refused = !answer.ok && answer.problem.status === 429
      setLimited(refused ? (answer.problem.retryAfterSeconds ?? 60) : undefined)
      if (refused) return setState('unauthorized')
      if (answer.ok && !answer.body.granted) return setState('unauthorized')
      stop = follow('/drinks/board/stream', { headers: auth, on: { board: setBoard }, state: setState })
    })
    return () => {
      gone = true
      stop?.()
    }
  }, [token])

  const save = (value: string) => {
    sessionStorage.setItem(TOKEN, value)
    setToken(value)
  }

  async function advance(ticket: Ticket, status: 'Receipted' | 'Made') {
    setBusy(ticket.id)
    setProblem(undefined)
    const answer = await request('PATCH', `/drinks/${ticket.id}`, { body: { status }, headers: auth })
    setBusy(undefined)
    if (!answer.ok && answer.problem.status === 401) setState('unauthorized')
    else if (!answer.ok) setProblem(answer.problem)
  }

  const forget = token ? (
    <button type="button" class="quiet" onClick={() => save('')}>
      {t('forgetToken')}
    </button>
  ) : undefined

  if (state === 'unauthorized') {
    return (
      <Shell title={t('barista')} actions={forget}>
        <TokenForm wrong={token !== ''} limited={limited} save={save} />
      </Shell>
    )
  }
  const waiting = board?.tickets.filter((k) => k.status === 'PaymentApproved') ?? []
  const making = board?.tickets.filter((k) => k.status === 'Receipted') ?? []
  const column = (title: string, id: string, tickets: readonly Ticket[], next: 'Receipted' | 'Made') => (
    <section class="card column" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span class="count">{tickets.length}</span>
      </h2>
      {board && tickets.length === 0 && <p class="empty">{t('noTickets')}</p>}
      <ol class="tickets">
        {tickets.map((k) => (
          <li key={k.id} class="ticket" data-order={k.orderId}>
            <div>
              <span class="order-id">#{k.orderId}</span> <strong>{k.productName}</strong> × {k.qty}
              <div class="meta">
                ···{k.phoneNumber.slice(-4)} · {k.amt !== null && <>{won(t, k.amt)} · </>}
                <time dateTime={k.createTime}>{timeOf(k.createTime, lang)}</time>
              </div>
            </div>
            <button
              type="button"
              class="primary"
              disabled={busy === k.id}
              aria-label={`${next === 'Receipted' ? t('accept') : t('done')} #${k.orderId} ${k.productName}`}
              onClick={() => void advance(k, next)}
            >
              {next === 'Receipted' ? t('accept') : t('done')}
            </button>
          </li>
        ))}
      </ol>
    </section>
  )

  return (
    <Shell title={t('barista')} actions={forget}>
      <LiveBadge state={state} />
      {board && (
        <p class="queue">
          {t('queueNow', { waiting: board.queue.waiting, inProgress: board.queue.inProgress })} ·{' '}
          {t('estimate', { minutes: minutesOf(board.queue.estimatedWaitSeconds) })}
        </p>
      )}
      {problem && (
        <p class="problem" role="alert">
          {problem.status === 0 ? t('offline') : t('failed', { detail: problem.detail })}
        </p>
      )}
      <div class="board">
        {column(t('waiting'), 'waiting-title', waiting, 'Receipted')}
        {column(t('inProgress'), 'making-title', making, 'Made')}
      </div>
      <section class="card" aria-labelledby="recent-title">
        <h2 id="recent-title">{t('recent')}</h2>
        <ul class="recent" aria-live="polite">
          {board?.recent.map((k) => (
            <li key={k.id} class={k.status === 'DrinkCanceled' ? 'canceled-note' : 'made-note'}>
              {k.status === 'DrinkCanceled'
                ? t('canceledNote', { orderId: k.orderId, product: k.productName, qty: k.qty })
                : `#${k.orderId} ${k.productName} × ${k.qty} · ${t('madeNote')}`}
              {k.statusTime && <time dateTime={k.statusTime}>{timeOf(k.statusTime, lang)}</time>}
            </li>
          ))}
        </ul>
      </section>
    </Shell>
  )
}

function TokenForm(props: { wrong: boolean; limited: number | undefined; save: (token: string) => void }) {
  const { t } = useLang()
  const [value, setValue] = useState('')
  return (
    <form
      class="card token"
      onSubmit={(e) => {
        e.preventDefault()
        if (value.trim()) props.save(value.trim())
      }}
    >
      <h2>{t('tokenTitle')}</h2>
      <p>{t('tokenPrompt')}</p>
      {(props.wrong || props.limited !== undefined) && (
        <p class="problem" role="alert">
          {props.limited === undefined ? t('tokenWrong') : t('tokenLimited', { seconds: props.limited })}
        </p>
      )}
      <label for="token">{t('tokenTitle')}</label>
      <div class="inline">
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">
          {t('enter')}
        </button>
      </div>
    </form>
  )
}

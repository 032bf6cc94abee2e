/** Resolves with `work`, or with `onTimeout()` if `work` takes longer than `ms`. */
export function withTimeout<T, F>(work: Promise<T>, ms: number, onTimeout: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/** What `promise` gives, or `fallback` when it fails or has not settled within `ms`: a wait that a hung dependency cannot stretch. */
export function within<T> (promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(fallback), ms) })
  return Promise.race([promise.catch(() => fallback), late]).finally(() => clearTimeout(timer))
}

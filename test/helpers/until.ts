import { setTimeout as sleep } from 'node:timers/promises'

// Polls until check() returns something truthy; fails with what it last saw.
type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

export async function until<T> (check: () => T | Promise<T>, { timeoutMs = 15_000, everyMs = 50, what = 'condition' } = {}): Promise<Truthy<T>> {
  let last: T | undefined
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    last = await check()
    if (last) return last as Truthy<T>
    await sleep(everyMs)
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`)
}

import t from 'tap'
import { backoffDelay } from '../../../src/platform/primitives/backoff.js'

t.test('the wait doubles from baseMs and stops at maxMs', async (t) => {
  t.same([0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, { baseMs: 100, maxMs: 1000 })), [100, 200, 400, 800, 1000, 1000])
  t.equal(backoffDelay(20, { baseMs: 100 }), 100 * 2 ** 20, 'unbounded without maxMs, as BullMQ\'s own')
})

t.test('with jitter, a wait anywhere below the step, spread out', async (t) => {
  const waits = Array.from({ length: 200 }, () => backoffDelay(3, { baseMs: 100, maxMs: 1000, jitter: true }))
  t.ok(waits.every((wait) => wait >= 0 && wait < 800), 'within [0, 800)')
  t.ok(new Set(waits).size > 150, 'not the same wait for every caller')
  t.ok(waits.some((wait) => wait > 400) && waits.some((wait) => wait < 400), 'both halves of the range')
})

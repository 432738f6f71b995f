import t, { type Test } from 'tap'
import CircuitBreaker from 'opossum'
import { setTimeout as sleep } from 'node:timers/promises'
import { tripOnConsecutiveFailures } from '../../../src/platform/clients/remote/consecutive-failures.js'

type Outcome = 'hang' | 'ok' | 'answer' | Error

function failing (code: string) {
  return Object.assign(new Error(code), { code })
}

// A breaker whose percentage rule never opens, so only the run of failures can. A 4xx answer
// (statusCode < 500) passes its errorFilter, as the clients' does.
function breakerOf (t: Test, limit = 3) {
  const breaker = new CircuitBreaker(async (outcome: Outcome) => {
    if (outcome === 'hang') return sleep(200)
    if (outcome === 'ok') return 'ok'
    if (outcome === 'answer') throw Object.assign(new Error('not found'), { statusCode: 404 })
    throw outcome
  }, { timeout: 20, volumeThreshold: 1000, resetTimeout: 60_000, errorFilter: (error: { statusCode?: number }) => (error.statusCode ?? 500) < 500 })
  t.teardown(() => breaker.shutdown())
  tripOnConsecutiveFailures(breaker, () => limit)
  return breaker
}

const fire = (breaker: CircuitBreaker, outcome: Outcome) => breaker.fire(outcome).catch(() => {})

t.test('calls that time out one at a time open the breaker: a hung target is noticed at any traffic', async (t) => {
  const breaker = breakerOf(t)
  await fire(breaker, 'hang')
  await fire(breaker, 'hang')
  t.notOk(breaker.opened, 'two timeouts: not yet')
  await fire(breaker, 'hang')
  t.ok(breaker.opened, 'the third timeout in a row opens it')
})

t.test('every kind of failure counts toward the run', async (t) => {
  const breaker = breakerOf(t)
  await fire(breaker, failing('ECONNRESET'))
  await fire(breaker, Object.assign(new Error('busy'), { statusCode: 503 }))
  await fire(breaker, failing('ECONNREFUSED'))
  t.ok(breaker.opened, 'reset, 503 and refused in a row open it')
})

t.test('a success or an answer ends the run', async (t) => {
  const breaker = breakerOf(t)
  await fire(breaker, 'hang')
  await fire(breaker, 'hang')
  await fire(breaker, 'ok')
  await fire(breaker, 'hang')
  await fire(breaker, 'hang')
  t.notOk(breaker.opened, 'a success between: two in a row since')
  await fire(breaker, 'answer')
  await fire(breaker, 'hang')
  await fire(breaker, 'hang')
  t.notOk(breaker.opened, 'a 404 answer is the target working: the run starts again')
  await fire(breaker, 'hang')
  t.ok(breaker.opened)
})

t.test('0 turns the rule off', async (t) => {
  const breaker = breakerOf(t, 0)
  for (let i = 0; i < 5; i++) await fire(breaker, failing('ECONNREFUSED'))
  t.notOk(breaker.opened)
})

t.test('calls in flight together count once: a burst of failures from one dying replica is not a run', async (t) => {
  const breaker = breakerOf(t)
  await Promise.all(Array.from({ length: 8 }, () => fire(breaker, 'hang')))
  t.notOk(breaker.opened, 'eight timeouts at once: one in the run')
  await fire(breaker, 'hang')
  await fire(breaker, 'hang')
  t.ok(breaker.opened, 'then two more, one after another, make three')
})

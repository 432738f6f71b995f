import t, { type Test } from 'tap'
import CircuitBreaker from 'opossum'
import { setTimeout as sleep } from 'node:timers/promises'
import { tripOnConnectionFailures } from '../../src/platform/clients/remote/connection-trip.js'

function failing (code: string) {
  return Object.assign(new Error(code), { code })
}

// A breaker whose percentage rule never opens, so only the run of connection failures can.
function breakerOf (t: Test) {
  const breaker = new CircuitBreaker(async (outcome: Error | 'hang') => {
    if (outcome === 'hang') return sleep(200)
    throw outcome
  }, { timeout: 20, volumeThreshold: 1000, resetTimeout: 60_000 })
  t.teardown(() => breaker.shutdown())
  tripOnConnectionFailures(breaker, () => 2)
  return breaker
}

t.test('a run of calls that reached no instance opens the breaker; one that timed out ends the run', async (t) => {
  const breaker = breakerOf(t)
  await breaker.fire(failing('ECONNREFUSED')).catch(() => {})
  await breaker.fire('hang').catch((error: { code?: string }) => t.equal(error.code, 'ETIMEDOUT', 'opossum\'s own timeout has the code ETIMEDOUT'))
  await breaker.fire(failing('ECONNREFUSED')).catch(() => {})
  t.notOk(breaker.opened, 'the timeout ended the run: one refusal since')
  await breaker.fire(failing('ETIMEDOUT')).catch(() => {})
  t.ok(breaker.opened, 'a connection that timed out at the socket counts')
})

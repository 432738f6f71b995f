import t from 'tap'
import { isConnectionFailure, neverConnected, nextAttempt } from '../../../src/platform/http/retry-policy.js'

t.test('any method moves on when no connection was made; only idempotent ones after a broken connection or a 502/503/504', async (t) => {
  for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) {
    t.equal(nextAttempt(method, { code: 'ECONNREFUSED' }), 'at-once', `${method} refused`)
    t.equal(nextAttempt(method, { code: 'ECONNRESET' }), 'at-once', `${method} reset`)
    for (const status of [502, 503, 504]) t.equal(nextAttempt(method, status), 'after-backoff', `${method} ${status}`)
    for (const status of [200, 404, 500]) t.equal(nextAttempt(method, status), 'no', `${method} ${status}`)
    t.equal(nextAttempt(method, { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'no', `${method} no answer in time`)
  }
  for (const method of ['POST', 'PATCH']) {
    for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
      t.equal(nextAttempt(method, { code }), 'at-once', `${method} ${code}: nothing was sent`)
    }
    // Each of these may come after the request reached the instance.
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_HEADERS_TIMEOUT']) {
      t.equal(nextAttempt(method, { code }), 'no', `${method} ${code}: never sent twice`)
    }
    for (const status of [500, 502, 503, 504]) t.equal(nextAttempt(method, status), 'no', `${method} ${status}`)
  }
})

t.test('a failure that never connected is a connection failure; a broken connection is not one that never connected', async (t) => {
  for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
    t.ok(neverConnected({ code }) && isConnectionFailure({ code }), code)
  }
  for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']) {
    t.ok(!neverConnected({ code }) && isConnectionFailure({ code }), code)
  }
  t.notOk(isConnectionFailure({}), 'no code')
  t.notOk(isConnectionFailure({ code: 'CLV_USERS_NOT_FOUND' }))
})

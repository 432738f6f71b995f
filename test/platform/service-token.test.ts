import t from 'tap'
import { clockSkewMs, createServiceTokens, tokenLifetimeMs } from '../../src/platform/security/service-token.js'

const secret = 's'.repeat(32)
const other = 'o'.repeat(40)
const now = 1_800_000_000_000
const tokens = createServiceTokens([secret], 'cleave:orders')

t.test('a token verifies for the request it was signed for, naming its issuer', async (t) => {
  const token = tokens.sign('GET', '/users/1?fields=name', now)
  t.same(tokens.verify(token, 'GET', '/users/1?fields=name', now), { ok: true, issuer: 'cleave:orders' })
  t.notMatch(token, secret, 'the secret is not in the token')
})

t.test('expiry, with clock skew tolerated both ways', async (t) => {
  const token = tokens.sign('GET', '/users/1', now)
  const verifyAt = (at: number) => tokens.verify(token, 'GET', '/users/1', at)
  t.same(verifyAt(now + tokenLifetimeMs + clockSkewMs - 1), { ok: true, issuer: 'cleave:orders' }, 'the verifier\'s clock is ahead, within the skew')
  t.same(verifyAt(now + tokenLifetimeMs + clockSkewMs + 1), { ok: false, reason: 'expired' })
  t.same(verifyAt(now - clockSkewMs + 1), { ok: true, issuer: 'cleave:orders' }, 'the signer\'s clock is ahead, within the skew')
  t.same(verifyAt(now - clockSkewMs - 1), { ok: false, reason: 'future' }, 'issued too far in the future')
  t.same(tokens.verify(tokens.sign('GET', '/users/1', now + 3_600_000), 'GET', '/users/1', now), { ok: false, reason: 'future' })
})

t.test('a token for another method, path, query or issuer is refused', async (t) => {
  const token = tokens.sign('GET', '/users/1?limit=1', now)
  t.same(tokens.verify(token, 'DELETE', '/users/1?limit=1', now), { ok: false, reason: 'invalid' })
  t.same(tokens.verify(token, 'GET', '/users/2?limit=1', now), { ok: false, reason: 'invalid' })
  t.same(tokens.verify(token, 'GET', '/users/1?limit=100', now), { ok: false, reason: 'invalid' })
  const [version, expiry, issuer, signature] = token.split('.')
  const otherIssuer = Buffer.from('cleave:gateway').toString('base64url')
  t.same(tokens.verify([version, expiry, otherIssuer, signature].join('.'), 'GET', '/users/1?limit=1', now), { ok: false, reason: 'invalid' }, 'issuer swapped')
  t.same(tokens.verify([version, String(now + 60_000), issuer, signature].join('.'), 'GET', '/users/1?limit=1', now), { ok: false, reason: 'invalid' }, 'expiry extended')
})

t.test('secrets: a wrong one fails; during a rotation every listed one is accepted', async (t) => {
  const stranger = createServiceTokens([other], 'cleave:orders')
  t.same(tokens.verify(stranger.sign('GET', '/users', now), 'GET', '/users', now), { ok: false, reason: 'invalid' })
  const rotated = createServiceTokens([other, secret], 'cleave:users')
  t.same(rotated.verify(tokens.sign('GET', '/users', now), 'GET', '/users', now), { ok: true, issuer: 'cleave:orders' }, 'the old secret still verifies')
  t.same(rotated.verify(stranger.sign('GET', '/users', now), 'GET', '/users', now), { ok: true, issuer: 'cleave:orders' }, 'the new secret verifies')
  t.same(tokens.verify(rotated.sign('GET', '/users', now), 'GET', '/users', now), { ok: false, reason: 'invalid' }, 'the new one signs')
})

t.test('garbage is malformed or invalid, never accepted', async (t) => {
  for (const garbage of ['', 'x', 'v1', 'v1.1.2', 'v2.1.a.b', 'v1.soon.a.b', 'v1.1.a.b.c', `v1.${'9'.repeat(30)}.a.b`]) {
    t.same(tokens.verify(garbage, 'GET', '/users', now), { ok: false, reason: 'malformed' }, JSON.stringify(garbage))
  }
  t.same(tokens.verify(`v1.${now}.${Buffer.from('x').toString('base64url')}.AAAA`, 'GET', '/users', now), { ok: false, reason: 'invalid' }, 'a short signature')
  t.same(tokens.verify(`v1.${now}.!!.%%`, 'GET', '/users', now), { ok: false, reason: 'invalid' }, 'not base64url')
})

t.test('paths are signed the way they travel, so an unencoded one still matches what the server sees', async (t) => {
  const token = tokens.sign('GET', '/users/a b', now)
  t.same(tokens.verify(token, 'GET', '/users/a%20b', now), { ok: true, issuer: 'cleave:orders' })
})

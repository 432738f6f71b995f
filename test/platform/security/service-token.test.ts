import t from 'tap'
import { bodyDigest } from '../../../src/platform/http/body-digest.js'
import { createServiceTokens, type SignedRequest } from '../../../src/platform/security/service-token.js'

const secret = 's'.repeat(32)
const other = 'o'.repeat(40)
const now = 1_800_000_000_000
const times = { lifetimeMs: 5000, skewMs: 5000 }
const tokens = createServiceTokens([secret], 'cleave:orders', times)
const request = (target: string, method = 'GET', module = 'users'): SignedRequest => ({ method, target, module })

t.test('a token verifies for the request it was signed for, naming its issuer and its body\'s digest', async (t) => {
  const token = tokens.sign(request('/users/1?fields=name'), undefined, now)
  t.same(tokens.verify(token, request('/users/1?fields=name'), now), { ok: true, issuer: 'cleave:orders', bodyDigest: '' })
  t.notMatch(token, secret, 'the secret is not in the token')
  const body = '{"name":"Ada","email":"ada@example.com"}'
  const posted = tokens.sign(request('/users', 'POST'), body, now)
  t.same(tokens.verify(posted, request('/users', 'POST'), now), { ok: true, issuer: 'cleave:orders', bodyDigest: bodyDigest(body) })
  t.equal(bodyDigest(body), bodyDigest(Buffer.from(body)), 'the same digest of the text and of its bytes')
  t.equal(bodyDigest(''), '', 'an empty body is no body')
})

t.test('expiry, with clock skew tolerated both ways (a few seconds)', async (t) => {
  const token = tokens.sign(request('/users/1'), undefined, now)
  const verifyAt = (at: number) => tokens.verify(token, request('/users/1'), at)
  t.match(verifyAt(now + times.lifetimeMs + times.skewMs - 1), { ok: true }, 'the verifier\'s clock is ahead, within the skew')
  t.same(verifyAt(now + times.lifetimeMs + times.skewMs + 1), { ok: false, reason: 'expired' })
  t.same(verifyAt(now + 40_000), { ok: false, reason: 'expired' }, 'a token captured 40 s ago is dead')
  t.match(verifyAt(now - times.skewMs + 1), { ok: true }, 'the signer\'s clock is ahead, within the skew')
  t.same(verifyAt(now - times.skewMs - 1), { ok: false, reason: 'future' }, 'issued too far in the future')
})

t.test('a token for another method, path, query, module, body or issuer is refused', async (t) => {
  const token = tokens.sign(request('/users/1?limit=1'), undefined, now)
  t.same(tokens.verify(token, request('/users/1?limit=1', 'DELETE'), now), { ok: false, reason: 'invalid' })
  t.same(tokens.verify(token, request('/users/2?limit=1'), now), { ok: false, reason: 'invalid' })
  t.same(tokens.verify(token, request('/users/1?limit=100'), now), { ok: false, reason: 'invalid' })
  t.same(tokens.verify(token, request('/users/1?limit=1', 'GET', 'orders'), now), { ok: false, reason: 'invalid' }, 'another module')
  const [version, expiry, issuer, digest, signature] = token.split('.')
  const otherIssuer = Buffer.from('cleave:gateway').toString('base64url')
  t.same(tokens.verify([version, expiry, otherIssuer, digest, signature].join('.'), request('/users/1?limit=1'), now), { ok: false, reason: 'invalid' }, 'issuer swapped')
  t.same(tokens.verify([version, String(now + 6000), issuer, digest, signature].join('.'), request('/users/1?limit=1'), now), { ok: false, reason: 'invalid' }, 'expiry extended')
  const posted = tokens.sign(request('/users', 'POST'), '{"name":"Ada"}', now).split('.')
  posted[3] = bodyDigest('{"name":"Mallory"}')
  t.same(tokens.verify(posted.join('.'), request('/users', 'POST'), now), { ok: false, reason: 'invalid' }, 'another body\'s digest put in')
})

t.test('secrets: a wrong one fails; during a rotation every listed one is accepted', async (t) => {
  const stranger = createServiceTokens([other], 'cleave:orders', times)
  t.same(tokens.verify(stranger.sign(request('/users'), undefined, now), request('/users'), now), { ok: false, reason: 'invalid' })
  const rotated = createServiceTokens([other, secret], 'cleave:users', times)
  t.match(rotated.verify(tokens.sign(request('/users'), undefined, now), request('/users'), now), { ok: true, issuer: 'cleave:orders' }, 'the old secret still verifies')
  t.match(rotated.verify(stranger.sign(request('/users'), undefined, now), request('/users'), now), { ok: true, issuer: 'cleave:orders' }, 'the new secret verifies')
  t.same(tokens.verify(rotated.sign(request('/users'), undefined, now), request('/users'), now), { ok: false, reason: 'invalid' }, 'the new one signs')
})

t.test('garbage is malformed or invalid, never accepted', async (t) => {
  for (const garbage of ['', 'x', 'v2', 'v2.1.2', 'v1.1.a.b', 'v2.soon.a..b', 'v2.1.a.b.c.d', `v2.${'9'.repeat(30)}.a..b`, `v2.1.a.${'x'.repeat(50)}.b`]) {
    t.same(tokens.verify(garbage, request('/users'), now), { ok: false, reason: 'malformed' }, JSON.stringify(garbage))
  }
  t.same(tokens.verify(`v2.${now}.${Buffer.from('x').toString('base64url')}..AAAA`, request('/users'), now), { ok: false, reason: 'invalid' }, 'a short signature')
  t.same(tokens.verify(`v2.${now}.!!..%%`, request('/users'), now), { ok: false, reason: 'invalid' }, 'not base64url')
})

t.test('paths are signed the way they travel, so an unencoded one still matches what the server sees', async (t) => {
  const token = tokens.sign(request('/users/a b'), undefined, now)
  t.match(tokens.verify(token, request('/users/a%20b'), now), { ok: true })
})

import t from 'tap'
import { Type } from '@sinclair/typebox'
import { compileExact } from '../../../src/platform/http/validation.js'
import { maxListedIssues, validationDetail, validationIssues } from '../../../src/platform/primitives/validation-issues.js'

const check = compileExact(Type.Object({ name: Type.String(), tags: Type.Array(Type.Integer()) }, { additionalProperties: false }))

t.test('each issue is a JSON pointer to the field, a missing or unknown property included', async (t) => {
  t.notOk(check({ tags: [1, 'x'], nmae: 'Ada' }))
  t.same(validationIssues(check.errors), [
    { field: '/name', message: 'must have required property \'name\'' },
    { field: '/nmae', message: 'must NOT have additional properties' },
    { field: '/tags/1', message: 'must be integer' }
  ])
  t.equal(validationDetail(check.errors, 'body'), 'body/name must have required property \'name\'; body/nmae must NOT have additional properties; body/tags/1 must be integer')
})

t.test('the whole value is /, alone or after where it is', async (t) => {
  t.notOk(check('Ada'))
  t.same(validationIssues(check.errors), [{ field: '/', message: 'must be object' }])
  t.equal(validationDetail(check.errors), '/ must be object')
  t.equal(validationDetail(check.errors, 'body'), 'body must be object')
})

t.test('the first few are listed and the rest counted', async (t) => {
  const value = { name: 'Ada', tags: Array.from({ length: maxListedIssues + 3 }, () => 'x') }
  t.notOk(check(value))
  t.equal(validationIssues(check.errors).length, maxListedIssues)
  t.match(validationDetail(check.errors), /; and 3 more$/)
})

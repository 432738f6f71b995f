// neostandard, as fastify/demo lints: standard style, TypeScript rules through typescript-eslint.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'drizzle/**']
  }),
  {
    rules: {
      // TypeBox's own idiom names a schema and its type alike: `const User = Type.Object(…)`, `type User = Static<typeof User>`.
      '@typescript-eslint/no-redeclare': 'off',
      // `void promise` marks a promise left running on purpose (a reply sent, a background refresh).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]

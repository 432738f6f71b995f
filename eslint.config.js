// neostandard, as fastify/demo lints: standard style, TypeScript rules through typescript-eslint.
import { globalIgnores } from 'eslint/config'
import neostandard from 'neostandard'

export default [
  // Global: since neostandard 0.14 its own `ignores` only keeps its rules off those files.
  globalIgnores(['dist/**', 'coverage/**', '.tap/**', 'drizzle/**']),
  ...neostandard({ ts: true }),
  {
    rules: {
      // TypeBox's own idiom names a schema and its type alike: `const User = Type.Object(…)`, `type User = Static<typeof User>`.
      '@typescript-eslint/no-redeclare': 'off',
      // `void promise` marks a promise left running on purpose (a reply sent, a background refresh).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]

import { Type } from '@sinclair/typebox'
import { maxTimerMs } from './limits.js'

/** Storage: where each module keeps its tables. */
export const storageSettings = {
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'folder holding one SQLite file per module (`users.sqlite`, …), for the modules without a PostgreSQL URL' }),
  DATABASE_URL: Type.Optional(Type.String({ secret: true, urlKind: 'postgres', description: 'a `postgres://…` or `postgresql://…` URL: every module keeps its tables in that PostgreSQL, each in a schema named after it (docs/guides/storage.md); `<MODULE>_DATABASE_URL` sets one module\'s and wins; unset, a module uses its SQLite file in `DATA_DIR`' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, default: 10, description: 'PostgreSQL connections one process opens per module at most: keep replicas × modules × this below the server\'s `max_connections`' }),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 30000, description: 'how long start-up keeps trying to reach PostgreSQL (with backoff) before exiting 1' })
}

import type { FastifyInstance } from 'fastify'
import { notificationsContract } from './contract.js'
import { notificationTables } from './tables.js'
import { createNotificationHandlers } from './events.js'
import { createNotificationStore } from './store.js'

export default async function notifications (app: FastifyInstance) {
  const store = createNotificationStore(await app.databases.open(notificationsContract.module, notificationTables))
  app.registry.implement(notificationsContract, {
    operations: {
      listNotifications: async ({ query }) => store.list({ userId: query.userId, after: query.cursor, limit: query.limit })
    },
    handlers: createNotificationHandlers(store)
  })
}

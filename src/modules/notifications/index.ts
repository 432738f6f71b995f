import type { FastifyInstance } from 'fastify'
import { mountOperations } from '../../platform/contracts/mount-operations.js'
import { notificationsContract } from './contract.js'
import { createNotificationHandlers } from './events.js'
import { createNotificationStore } from './store.js'

export default async function notifications (app: FastifyInstance) {
  const store = createNotificationStore(app.databases.open(notificationsContract.module))
  mountOperations(app, notificationsContract, {
    listNotifications: async ({ query }) => store.list({ userId: query.userId, after: query.cursor, limit: query.limit })
  })
  app.events.handle(notificationsContract, createNotificationHandlers(store))
}

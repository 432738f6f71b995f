import type { Clients } from '../../platform/clients/index.js'
import type { Operations } from '../../platform/contracts/define-contract.js'
import type { Events } from '../../platform/events/index.js'
import { UserNotFound } from '../users/contract.js'
import { OrderNotFound, UnknownUser, ordersContract } from './contract.js'
import type { OrderStore } from './store.js'

export function createOrderOperations (store: OrderStore, users: Clients['users'], events: Events): Operations<typeof ordersContract> {
  return {
    async placeOrder ({ body }, context) {
      try {
        await users.getUser({ params: { id: body.userId } }, { context })
      } catch (error) {
        if (error instanceof UserNotFound) throw new UnknownUser(body.userId)
        throw error
      }
      return store.atomically(async (tx) => {
        const order = await store.insert(tx, body)
        await events.publish(tx, 'order.placed', { id: order.id, userId: order.userId, items: order.items }, context)
        return order
      })
    },

    async getOrder ({ params }, context) {
      const order = await store.findById(params.id)
      if (!order) throw new OrderNotFound(params.id)
      // Reading an order must not depend on users being up: without it, the order is still the answer.
      // undefined: users could not be asked; null: users says the user is gone.
      const user = await users.getUser({ params: { id: order.userId } }, { context, fallback: () => undefined })
        .catch((error) => { if (error instanceof UserNotFound) return null; throw error })
      if (user === undefined) return { ...order, user: null, degraded: true }
      return { ...order, user: user && { name: user.name, email: user.email }, degraded: false }
    },

    async listOrders ({ query }) {
      return store.list({ userId: query.userId, after: query.cursor, limit: query.limit })
    }
  }
}

import { Type, type Static } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'
import { createError } from '../../platform/primitives/coded-errors.js'
import { problemResponse } from '../../platform/primitives/problem.js'

export const OrderNotFound = createError('CLV_ORDERS_NOT_FOUND', 'Order %s not found', 404)
export const UnknownUser = createError('CLV_ORDERS_UNKNOWN_USER', 'User %s does not exist', 422)

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const Item = Type.Object({
  sku: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'letters, digits, dot, dash, underscore' }),
  qty: Type.Integer({ minimum: 1, maximum: 1000 })
})

export const NewOrder = Type.Object({ userId: Id, items: Type.Array(Item, { minItems: 1, maxItems: 100 }) })
export type NewOrder = Static<typeof NewOrder>

export const Order = Type.Object({ id: Id, userId: Id, items: Type.Array(Item, { maxItems: 100 }), createdAt: Type.String({ format: 'date-time' }) })
export type Order = Static<typeof Order>

export const OrderPlaced = Type.Object({ id: Id, userId: Id, items: Type.Array(Item, { maxItems: 100 }) })

export const OrderView = Type.Composite([Order, Type.Object({
  user: Type.Union([Type.Object({ name: Type.String({ maxLength: 50 }), email: Type.String({ maxLength: 254 }) }), Type.Null()], { description: 'null when the user is gone or users is unavailable' }),
  degraded: Type.Boolean({ description: 'true when users could not be asked and user is missing for that reason' })
})])
export type OrderView = Static<typeof OrderView>

export const ListOrdersQuery = Type.Object({
  userId: Type.Optional(Id),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'id of the last order of the previous page' })
})

export const ordersContract = defineContract({
  module: 'orders',
  description: 'Orders of existing users; each placed order publishes order.placed',
  routes: {
    placeOrder: {
      method: 'POST',
      url: '/orders',
      schema: {
        summary: 'Place an order for an existing user',
        body: NewOrder,
        response: { 201: Order, 422: problemResponse('No user has this id'), 503: problemResponse('users is unavailable, so the user cannot be checked') }
      },
      location: (order: Order) => `/orders/${order.id}`
    },
    getOrder: {
      method: 'GET',
      url: '/orders/:id',
      schema: {
        summary: 'One order with its user\'s name and email (degraded when users is unavailable)',
        params: Type.Object({ id: Id }),
        response: { 200: OrderView, 404: problemResponse('No order has this id') }
      }
    },
    listOrders: {
      method: 'GET',
      url: '/orders',
      schema: { summary: 'Orders in id order, optionally of one user', querystring: ListOrdersQuery, response: { 200: Type.Array(Order, { maxItems: 100 }) } }
    }
  },
  errors: { OrderNotFound, UnknownUser },
  events: { publishes: { 'order.placed': OrderPlaced } },
  calls: ['users']
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { orders: typeof ordersContract }
}

declare module '../../platform/events/event.js' {
  interface EventSchemas { 'order.placed': typeof OrderPlaced }
}

import { Type, type Static } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'

export const Notification = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  userId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  kind: Type.Union([Type.Literal('welcome'), Type.Literal('order-confirmation'), Type.Literal('shipping')]),
  message: Type.String({ maxLength: 1000 }),
  eventId: Type.String({ maxLength: 256, description: 'the event that caused it' }),
  createdAt: Type.String({ format: 'date-time' })
})
export type Notification = Static<typeof Notification>

export const notificationsContract = defineContract({
  module: 'notifications',
  description: 'Messages sent to users (welcome, order confirmation, shipping), written when users, orders and shipping publish their events',
  routes: {
    listNotifications: {
      method: 'GET',
      url: '/notifications',
      schema: {
        summary: 'Messages sent to users (welcome, order confirmations, shipping), in id order',
        querystring: Type.Object({
          userId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'id of the last notification of the previous page' })
        }),
        response: { 200: Type.Array(Notification, { maxItems: 100 }) }
      }
    }
  },
  errors: {},
  events: { subscribes: ['user.created', 'order.placed', 'order.shipped'] },
  calls: []
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { notifications: typeof notificationsContract }
}

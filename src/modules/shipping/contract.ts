import { Type, type Static } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'
import { createError } from '../../platform/primitives/coded-errors.js'
import { problemResponse } from '../../platform/primitives/problem.js'

// Shipping runs outside Cleave (examples/shipping is a Python implementation): this contract is
// all Cleave knows of it, and all a Cleave module needs to call it or handle its events.
export const ShipmentNotFound = createError('CLV_SHIPPING_NOT_FOUND', 'No shipment for order %s', 404)
export const AlreadyShipped = createError('CLV_SHIPPING_ALREADY_SHIPPED', 'Order %s is already shipped', 409)

const OrderId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const Shipment = Type.Object({
  orderId: OrderId,
  userId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  carrier: Type.String({ maxLength: 50 }),
  trackingCode: Type.String({ maxLength: 64 }),
  shippedAt: Type.String({ format: 'date-time' })
})
export type Shipment = Static<typeof Shipment>

export const NewShipment = Type.Object({
  orderId: OrderId,
  userId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  carrier: Type.String({ minLength: 1, maxLength: 50, description: 'who carries the parcel' })
})

export const OrderShipped = Type.Object({
  orderId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  userId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  carrier: Type.String({ maxLength: 50 }),
  trackingCode: Type.String({ maxLength: 64 })
})

export const shippingContract = defineContract({
  module: 'shipping',
  description: 'Parcels on their way: an external module (any language) that publishes order.shipped',
  external: true,
  routes: {
    getShipment: {
      method: 'GET',
      url: '/shipments/:orderId',
      schema: {
        summary: 'The shipment of one order',
        params: Type.Object({ orderId: OrderId }),
        response: { 200: Shipment, 404: problemResponse('The order is not shipped') }
      }
    },
    shipOrder: {
      method: 'POST',
      url: '/shipments',
      schema: {
        summary: 'Ship an order; publishes order.shipped',
        body: NewShipment,
        response: { 201: Shipment, 409: problemResponse('The order is already shipped') }
      },
      location: (shipment: Shipment) => `/shipments/${shipment.orderId}`
    }
  },
  errors: { ShipmentNotFound, AlreadyShipped },
  events: { publishes: { 'order.shipped': OrderShipped } },
  calls: []
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { shipping: typeof shippingContract }
}

declare module '../../platform/events/event.js' {
  interface EventSchemas { 'order.shipped': typeof OrderShipped }
}

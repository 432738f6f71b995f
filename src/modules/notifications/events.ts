import type { EventHandlers } from '../../platform/events/event.js'
import type { NotificationStore } from './store.js'

export function createNotificationHandlers (store: NotificationStore): EventHandlers<'user.created' | 'order.placed' | 'order.shipped'> {
  return {
    'user.created': (user, event) => event.atomically(async (tx) => {
      await store.record(tx, { userId: user.id, kind: 'welcome', message: `Welcome, ${user.name}!`, eventId: event.id })
    }),
    'order.placed': (order, event) => event.atomically(async (tx) => {
      const units = order.items.reduce((sum, item) => sum + item.qty, 0)
      await store.record(tx, { userId: order.userId, kind: 'order-confirmation', message: `Order #${order.id} confirmed: ${units} item${units === 1 ? '' : 's'}`, eventId: event.id })
    }),
    'order.shipped': (shipment, event) => event.atomically(async (tx) => {
      await store.record(tx, { userId: shipment.userId, kind: 'shipping', message: `Order #${shipment.orderId} shipped with ${shipment.carrier} (tracking ${shipment.trackingCode})`, eventId: event.id })
    })
  }
}

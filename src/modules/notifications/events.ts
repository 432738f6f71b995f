import type { EventHandlers } from '../../platform/events/event.js'
import type { NotificationStore } from './store.js'

export function createNotificationHandlers (store: NotificationStore): EventHandlers<'user.created' | 'order.placed'> {
  return {
    'user.created': (user, event) => {
      store.record({ userId: user.id, kind: 'welcome', message: `Welcome, ${user.name}!`, eventId: event.id })
    },
    'order.placed': (order, event) => {
      const units = order.items.reduce((sum, item) => sum + item.qty, 0)
      store.record({ userId: order.userId, kind: 'order-confirmation', message: `Order #${order.id} confirmed: ${units} item${units === 1 ? '' : 's'}`, eventId: event.id })
    }
  }
}

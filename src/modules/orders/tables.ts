import { outboxTable } from '../../platform/events/tables.js'
import { defineTables } from '../../platform/storage/table-kit.js'

export const orderTables = defineTables((kit) => {
  const orders = kit.table('orders', {
    id: kit.id('id'),
    // A user lives in another module's database: no foreign key, by design.
    userId: kit.integer('user_id').notNull(),
    createdAt: kit.text('created_at').notNull()
  }, (table) => [kit.index('orders_user_id').on(table.userId, table.id)])

  const orderItems = kit.table('order_items', {
    orderId: kit.integer('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    position: kit.integer('position').notNull(),
    sku: kit.text('sku').notNull(),
    qty: kit.integer('qty').notNull()
  }, (table) => [kit.primaryKey({ columns: [table.orderId, table.position] })])

  return { orders, orderItems, ...outboxTable(kit) }
})

import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../platform/storage/sqlite.js'
import type { NewOrder, Order } from './contract.js'

export { outbox } from '../../platform/events/tables.js'

export const orders = sqliteTable('orders', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  // A user lives in another module's database: no foreign key, by design.
  userId: integer('user_id').notNull(),
  createdAt: text('created_at').notNull()
}, (table) => [index('orders_user_id').on(table.userId, table.id)])

export const orderItems = sqliteTable('order_items', {
  orderId: integer('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
  position: integer('position').notNull(),
  sku: text('sku').notNull(),
  qty: integer('qty').notNull()
}, (table) => [primaryKey({ columns: [table.orderId, table.position] })])

export function createOrderStore (db: Db) {
  const orderById = db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))).prepare()
  const itemsOfOrder = db.select({ sku: orderItems.sku, qty: orderItems.qty }).from(orderItems)
    .where(eq(orderItems.orderId, sql.placeholder('id'))).orderBy(asc(orderItems.position)).prepare()

  function withItems (rows: Array<typeof orders.$inferSelect>): Order[] {
    if (rows.length === 0) return []
    const items = db.select().from(orderItems)
      .where(inArray(orderItems.orderId, rows.map((row) => row.id)))
      .orderBy(asc(orderItems.orderId), asc(orderItems.position)).all()
    return rows.map((row) => ({
      ...row,
      items: items.filter((item) => item.orderId === row.id).map(({ sku, qty }) => ({ sku, qty }))
    }))
  }

  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically<T> (work: () => T): T {
      return db.transaction(work)
    },

    insert (order: NewOrder): Order {
      return db.transaction((tx) => {
        const row = tx.insert(orders).values({ userId: order.userId, createdAt: new Date().toISOString() }).returning().get()
        tx.insert(orderItems).values(order.items.map(({ sku, qty }, position) => ({ orderId: row.id, position, sku, qty }))).run()
        return { ...row, items: order.items.map(({ sku, qty }) => ({ sku, qty })) }
      })
    },

    findById (id: number): Order | undefined {
      const row = orderById.get({ id })
      return row && { ...row, items: itemsOfOrder.all({ id }) }
    },

    list (filter: { userId?: number, after: number, limit: number }): Order[] {
      const conditions: SQL[] = [gt(orders.id, filter.after)]
      if (filter.userId !== undefined) conditions.push(eq(orders.userId, filter.userId))
      return withItems(db.select().from(orders).where(and(...conditions)).orderBy(asc(orders.id)).limit(filter.limit).all())
    }
  }
}

export type OrderStore = ReturnType<typeof createOrderStore>

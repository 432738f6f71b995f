import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import type { NewOrder, Order } from './contract.js'
import type { orderTables } from './tables.js'

export function createOrderStore ({ db, tables: { orders, orderItems }, atomically }: ModuleDatabase<typeof orderTables.postgres>) {
  // Compiled once: reading an order is the hot path.
  const byId = db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))).prepare('orders_by_id')
  const itemsOf = db.select().from(orderItems).where(eq(orderItems.orderId, sql.placeholder('orderId'))).orderBy(asc(orderItems.position)).prepare('order_items_of')

  async function withItems (rows: Array<typeof orders.$inferSelect>): Promise<Order[]> {
    if (rows.length === 0) return []
    const items = await db.select().from(orderItems)
      .where(inArray(orderItems.orderId, rows.map((row) => row.id)))
      .orderBy(asc(orderItems.orderId), asc(orderItems.position))
    return rows.map((row) => ({
      ...row,
      items: items.filter((item) => item.orderId === row.id).map(({ sku, qty }) => ({ sku, qty }))
    }))
  }

  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically,

    async insert (tx: Db, order: NewOrder): Promise<Order> {
      const [row] = await tx.insert(orders).values({ userId: order.userId, createdAt: new Date().toISOString() }).returning()
      await tx.insert(orderItems).values(order.items.map(({ sku, qty }, position) => ({ orderId: row!.id, position, sku, qty })))
      return { ...row!, items: order.items.map(({ sku, qty }) => ({ sku, qty })) }
    },

    async findById (id: number): Promise<Order | undefined> {
      const [row] = await byId.execute({ id })
      if (!row) return undefined
      const items = await itemsOf.execute({ orderId: id })
      return { ...row, items: items.map(({ sku, qty }) => ({ sku, qty })) }
    },

    async list (filter: { userId?: number, after: number, limit: number }): Promise<Order[]> {
      const conditions: SQL[] = [gt(orders.id, filter.after)]
      if (filter.userId !== undefined) conditions.push(eq(orders.userId, filter.userId))
      return withItems(await db.select().from(orders).where(and(...conditions)).orderBy(asc(orders.id)).limit(filter.limit))
    }
  }
}

export type OrderStore = ReturnType<typeof createOrderStore>

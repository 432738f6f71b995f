import type { Operations } from '../../platform/contracts/define-contract.js'
import type { Events } from '../../platform/events/index.js'
import { EmailTaken, UserNotFound, usersContract } from './contract.js'
import { DuplicateEmail, type UserStore } from './store.js'

function found<T> (user: T | undefined, id: number): T {
  if (user === undefined) throw new UserNotFound(id)
  return user
}

function emailTaken (email: string | undefined) {
  return (error: unknown): never => {
    throw error instanceof DuplicateEmail ? new EmailTaken(email) : error
  }
}

export function createUserOperations (store: UserStore, events: Events): Operations<typeof usersContract> {
  return {
    listUsers: ({ query }) => store.list(query.cursor, query.limit),
    getUser: async ({ params }) => found(await store.findById(params.id), params.id),
    createUser: ({ body }, context) => store.atomically(async (tx) => {
      const user = await store.insert(tx, body)
      await events.publish(tx, 'user.created', { id: user.id, name: user.name, email: user.email }, context)
      return user
    }).catch(emailTaken(body.email)),
    updateUser: async ({ params, body }) => found(await store.update(params.id, body).catch(emailTaken(body.email)), params.id),
    deleteUser: ({ params }, context) => store.atomically(async (tx) => {
      if (!await store.remove(tx, params.id)) throw new UserNotFound(params.id)
      await events.publish(tx, 'user.deleted', { id: params.id }, context)
    })
  }
}

import type { Operations } from '../../platform/contracts/define-contract.js'
import type { Events } from '../../platform/events/index.js'
import { EmailTaken, UserNotFound, usersContract } from './contract.js'
import { DuplicateEmail, type UserStore } from './store.js'

function found<T> (user: T | undefined, id: number): T {
  if (user === undefined) throw new UserNotFound(id)
  return user
}

function guardEmail<T> (email: string | undefined, write: () => T): T {
  try {
    return write()
  } catch (error) {
    if (error instanceof DuplicateEmail) throw new EmailTaken(email)
    throw error
  }
}

export function createUserOperations (store: UserStore, events: Events): Operations<typeof usersContract> {
  return {
    listUsers: async ({ query }) => store.list(query.cursor, query.limit),
    getUser: async ({ params }) => found(store.findById(params.id), params.id),
    createUser: async ({ body }, context) => guardEmail(body.email, () => store.atomically(() => {
      const user = store.insert(body)
      events.publish('user.created', { id: user.id, name: user.name, email: user.email }, context)
      return user
    })),
    updateUser: async ({ params, body }) => found(guardEmail(body.email, () => store.update(params.id, body)), params.id),
    deleteUser: async ({ params }, context) => store.atomically(() => {
      found(store.remove(params.id) || undefined, params.id)
      events.publish('user.deleted', { id: params.id }, context)
    })
  }
}

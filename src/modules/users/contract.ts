import { Type, type Static } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'
import { createError } from '../../platform/primitives/coded-errors.js'
import { problemResponse } from '../../platform/primitives/problem.js'

export const UserNotFound = createError('CLV_USERS_NOT_FOUND', 'User %s not found', 404)
export const EmailTaken = createError('CLV_USERS_EMAIL_TAKEN', 'Email %s is already registered', 409)

const Name = Type.String({ minLength: 1, maxLength: 50, pattern: '\\S', description: '1–50 characters, not only spaces' })
const Email = Type.String({ format: 'email', maxLength: 254, description: 'unique, compared case-insensitively' })

export const User = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  name: Type.String({ maxLength: 50 }),
  email: Type.String({ maxLength: 254 }),
  createdAt: Type.String({ format: 'date-time' })
})
export type User = Static<typeof User>

const UserId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

export const NewUser = Type.Object({ name: Name, email: Email })
export type NewUser = Static<typeof NewUser>

export const UserChanges = Type.Partial(NewUser, { minProperties: 1 })
export type UserChanges = Static<typeof UserChanges>

export const ListUsersQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'id of the last user of the previous page' })
})

export const UserCreated = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), name: Type.String({ maxLength: 50 }), email: Type.String({ maxLength: 254 }) })
export const UserDeleted = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

const notFound = problemResponse('No user has this id')
const emailTaken = problemResponse('Another user has this email')

export const usersContract = defineContract({
  module: 'users',
  description: 'Registered users: create, read, change and remove them; changes publish user.created and user.deleted',
  routes: {
    listUsers: {
      method: 'GET',
      url: '/users',
      schema: {
        summary: 'Users in id order; pass the last id seen as cursor for the next page',
        querystring: ListUsersQuery,
        response: { 200: Type.Array(User, { maxItems: 100 }) }
      }
    },
    getUser: {
      method: 'GET',
      url: '/users/:id',
      schema: { summary: 'One user', params: UserId, response: { 200: User, 404: notFound } }
    },
    createUser: {
      method: 'POST',
      url: '/users',
      schema: { summary: 'Register a user', body: NewUser, response: { 201: User, 409: emailTaken } },
      location: (user: User) => `/users/${user.id}`
    },
    updateUser: {
      method: 'PATCH',
      url: '/users/:id',
      schema: { summary: 'Change a user\'s name or email', params: UserId, body: UserChanges, response: { 200: User, 404: notFound, 409: emailTaken } }
    },
    deleteUser: {
      method: 'DELETE',
      url: '/users/:id',
      schema: { summary: 'Remove a user', params: UserId, response: { 204: Type.Null({ description: 'Removed' }), 404: notFound } }
    }
  },
  errors: { UserNotFound, EmailTaken },
  events: { publishes: { 'user.created': UserCreated, 'user.deleted': UserDeleted } },
  calls: []
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { users: typeof usersContract }
}

declare module '../../platform/events/event.js' {
  interface EventSchemas { 'user.created': typeof UserCreated, 'user.deleted': typeof UserDeleted }
}

import { Type } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'

export const helloContract = defineContract({
  module: 'hello',
  description: 'The first service\'s greeting, as plain text',
  routes: {
    getService: {
      method: 'GET',
      url: '/service',
      schema: {
        summary: 'The greeting of the first service',
        response: { 200: { description: 'The greeting', content: { 'text/plain': { schema: Type.String({ maxLength: 100 }) } } } }
      }
    }
  },
  errors: {},
  calls: []
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { hello: typeof helloContract }
}

import { Type } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'
import { problemResponse } from '../../platform/primitives/problem.js'

export const proxyContract = defineContract({
  module: 'proxy',
  description: 'Calls hello through its client, in-process or over HTTP, to show a call between modules',
  routes: {
    getProxy: {
      method: 'GET',
      url: '/proxy',
      schema: {
        summary: 'The hello service\'s greeting, fetched through its client (in-process or over HTTP)',
        response: {
          200: { description: 'What hello answered', content: { 'text/plain': { schema: Type.String({ maxLength: 10_000 }) } } },
          503: problemResponse('hello is unavailable')
        }
      }
    }
  },
  errors: {},
  calls: ['hello']
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { proxy: typeof proxyContract }
}

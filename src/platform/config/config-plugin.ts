import fp from 'fastify-plugin'
import type { Config } from './config.js'

declare module 'fastify' {
  interface FastifyInstance { config: Config }
}

export function configPlugin (config: Config) {
  return fp(async (app) => { app.decorate('config', config) }, { name: 'config' })
}

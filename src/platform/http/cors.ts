// CORS only when CORS_ORIGINS says which browser origins may call the API; otherwise no header at all.
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { requestIdHeader } from './request-id.js'

async function corsPolicy (app: FastifyInstance) {
  const setting = app.config.CORS_ORIGINS
  if (setting === undefined) return
  await app.register(cors, {
    origin: setting === '*' ? '*' : setting.split(','),
    // Scripts may read what they need to follow a request and a created resource.
    exposedHeaders: [requestIdHeader, 'location']
  })
}

export default fp(corsPolicy, { name: 'cors', dependencies: ['config'] })

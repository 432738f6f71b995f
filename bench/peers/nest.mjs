// NestJS on its Fastify adapter as its docs set it up: nestjs-pino's access log at LOG_LEVEL,
// helmet registered on the adapter, a controller with a parsed parameter. Written as plain
// JavaScript, so the decorators are applied by hand as TypeScript would apply them.
import 'reflect-metadata'
import helmet from '@fastify/helmet'
import { Controller, Get, Module, NotFoundException, Param, ParseIntPipe, RequestMethod } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { Logger, LoggerModule } from 'nestjs-pino'
import { listenOptions, openUsers } from './users-store.mjs'

const users = openUsers(process.env.DATA_DIR ?? './data')

class UsersController {
  findOne (id) {
    const user = users.byId(id)
    if (!user) throw new NotFoundException()
    return user
  }
}
Controller('users')(UsersController)
Get(':id')(UsersController.prototype, 'findOne', Object.getOwnPropertyDescriptor(UsersController.prototype, 'findOne'))
Param('id', ParseIntPipe)(UsersController.prototype, 'findOne', 0)

class AppModule {}
// The routes named: nestjs-pino's default pattern logs no request on this Nest's Fastify adapter.
const accessLog = LoggerModule.forRoot({ forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }], pinoHttp: { level: process.env.LOG_LEVEL ?? 'info' } })
Module({ imports: [accessLog], controllers: [UsersController] })(AppModule)

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { bufferLogs: true })
app.useLogger(app.get(Logger))
await app.register(helmet)
app.enableShutdownHooks()
const { port, host } = listenOptions()
await app.listen(port, host)

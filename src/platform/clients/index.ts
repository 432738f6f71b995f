import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Agent } from 'undici'
import type { FastifyInstance } from 'fastify'
import type { CallInputOf, Contract, OperationContext, OperationOutput } from '../contracts/define-contract.js'
import { continueTrace } from '../observability/tracing/index.js'
import { isAnswer } from './call-errors.js'
import { compileInputCheck, type CallInput } from './input-validator.js'
import { callSettings } from './remote/settings.js'
import type { RemoteTransport } from './remote/transport.js'
import { addInstancesGauge } from '../discovery/instances-gauge.js'

/** Each module's contract.ts adds itself here, which types app.clients.<module>. */
export interface ModuleContracts {}

export interface CallOptions<Fallback = never> {
  /** The request or event being served: its id and trace are forwarded and its logger used. */
  context?: OperationContext
  /** A degraded answer when the target is unavailable (never for its 4xx answers). */
  fallback?: (error: Error) => Fallback | Promise<Fallback>
}

export type Client<C extends Contract> = {
  [Name in keyof C['routes']]: <Fallback = never>(
    input: CallInputOf<C['routes'][Name]>,
    options?: CallOptions<Fallback>
  ) => Promise<OperationOutput<C['routes'][Name]> | Fallback>
}

export type Clients = { [Module in keyof ModuleContracts]: ModuleContracts[Module] extends Contract ? Client<ModuleContracts[Module]> : never }

declare module 'fastify' {
  interface FastifyInstance {
    clients: Clients
  }
}

async function clients (app: FastifyInstance) {
  const { config, metrics } = app
  const { implemented } = app.registry
  const remotes = new Map<string, RemoteTransport>()
  let agent: Agent | undefined

  const settingsFor = (target: string) => callSettings(config, app.runtimeConfig.current, target)
  app.runtimeConfig.onChange(() => {
    for (const [target, transport] of remotes) transport.configure(settingsFor(target))
  })

  // Created on first use: a single process that only calls itself opens no socket and no
  // breaker, and never loads undici and the remote pipeline (a noticeable part of its start).
  let remoteCode: Promise<[typeof import('undici'), typeof import('./remote/transport.js')]> | undefined
  async function remote (contract: Contract): Promise<RemoteTransport> {
    const existing = remotes.get(contract.module)
    if (existing) return existing
    const [{ Agent }, { createRemoteTransport }] = await (remoteCode ??= Promise.all([import('undici'), import('./remote/transport.js')]))
    // Checked again: another first call may have created it while the code loaded.
    let transport = remotes.get(contract.module)
    if (!transport) {
      agent ??= new Agent({ keepAliveTimeout: 10_000, connections: 128 })
      // Served at 0 from the first call, so a rate() sees the first refusal as a rise.
      metrics.connectFailures.labels(contract.module).inc(0)
      transport = createRemoteTransport({ contract, resolver: app.discovery.resolver, health: app.discovery.health, dispatcher: agent, settings: settingsFor(contract.module), log: app.log, metrics, tokens: app.serviceTokens, spans: app.spanExport })
      remotes.set(contract.module, transport)
    }
    return transport
  }

  function clientFor (contract: Contract) {
    const client: Record<string, (input: CallInput, options?: CallOptions<unknown>) => Promise<unknown>> = {}
    for (const [name, route] of Object.entries(contract.routes)) {
      const check = compileInputCheck(`${contract.module}.${name}`, route)
      // Label sets bound once per operation: no label lookup on the call path.
      const timers = new Map<string, { observe (seconds: number): void }>()
      const observeCall = (transport: string, outcome: string, started: number) => {
        const key = `${transport} ${outcome}`
        let timer = timers.get(key)
        if (!timer) timers.set(key, timer = metrics.clientCallDuration.labels({ target: contract.module, operation: name, transport, outcome }))
        timer.observe((performance.now() - started) / 1000)
      }
      client[name] = async (input, { context, fallback } = {}) => {
        const checked = check(input)
        // A call made outside any request or event starts its own trace.
        const caller = context ?? { id: randomUUID(), log: app.log, headers: {}, trace: config.TRACING ? continueTrace(undefined) : undefined }
        const operations = implemented.get(contract.module)?.operations
        const transport = operations ? 'local' : 'remote'
        const started = performance.now()
        try {
          const output = operations ? await operations[name](checked, caller) : await (await remote(contract)).call(name, checked, caller)
          observeCall(transport, 'ok', started)
          return output
        } catch (error) {
          // The target's 4xx errors are answers; the fallback's time is not the call's.
          observeCall(transport, isAnswer(error) ? 'ok' : 'error', started)
          if (!fallback || isAnswer(error)) throw error
          return fallback(error as Error)
        }
      }
    }
    return client
  }

  const all: Record<string, unknown> = {}
  for (const contract of app.registry.contracts.values()) all[contract.module] = clientFor(contract)

  app.decorate('clients', all as Clients)
  // Every module served elsewhere is checked from the start, so no call pays to find a hung one;
  // under static discovery only those with a SERVICE_<MODULE>_URL have instances, so a single
  // process (an external module's contract included) starts no checks at all.
  const elsewhere = [...app.registry.contracts.keys()].filter((module) => !implemented.has(module))
  app.discovery.checks.watch(config.DISCOVERY === 'redis' ? elsewhere : elsewhere.filter((module) => config.services[module] !== undefined))
  // The targets this process has called remotely: one it never calls is not its concern.
  addInstancesGauge(metrics.registry, app.discovery.resolver, app.discovery.health, () => remotes.keys())
  app.health.addSection('dependencies', () => Object.fromEntries([...remotes].map(([module, transport]) => [module, transport.report()])))
  app.addHook('onClose', async () => {
    for (const transport of remotes.values()) transport.breaker.shutdown()
    await agent?.close()
  })
}

export default fp(clients, { name: 'clients', dependencies: ['config', 'registry', 'discovery', 'health', 'metrics', 'runtime-config', 'service-auth'] })

// app.runtimeConfig: the runtime-tunable settings, the same in every process of the fleet.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { mergePatch } from './merge-patch.js'
import { effectiveValues, invalidFields, overridesSchema, type RuntimeOverrides, type RuntimeValues } from './schema.js'
import { RuntimeConfigInvalid, RuntimeConfigUnavailable, refusal } from './errors.js'
import { ConcurrentChanges, createMemoryStore, createRedisStore, type StoredConfig } from './store.js'

export type { RuntimeValues, RuntimeOverrides } from './schema.js'

export type ChangeListener = (values: RuntimeValues, previous: RuntimeValues) => void

export interface RuntimeConfig {
  /** The values this process runs with: its environment, overlaid with the fleet's overrides. */
  readonly current: RuntimeValues
  /** What operators set, fleet-wide (a JSON merge patch target). */
  readonly overrides: RuntimeOverrides
  readonly version: number
  /** A feature flag: false unless set to true. */
  feature (name: string): boolean
  /** Called after each change is applied here, whichever process made it. */
  onChange (listener: ChangeListener): void
  /** Applies a JSON merge patch to the overrides, fleet-wide; refused whole if the result is invalid. */
  update (patch: unknown): Promise<{ version: number, values: RuntimeValues, overrides: RuntimeOverrides }>
}

declare module 'fastify' {
  interface FastifyInstance { runtimeConfig: RuntimeConfig }
}

export interface RuntimeConfigOptions {
  /** Every module there is, mounted here or not: the fleet shares one set of overrides. */
  modules: string[]
}

async function runtimeConfig (app: FastifyInstance, { modules }: RuntimeConfigOptions) {
  const { config } = app
  const schema = overridesSchema(modules)
  const store = config.REDIS_URL
    ? createRedisStore({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, log: app.log })
    : createMemoryStore()
  const listeners: ChangeListener[] = []
  let stored: StoredConfig = { version: 0, overrides: {} }
  let current = effectiveValues(config, stored.overrides)

  function apply (next: StoredConfig) {
    const previous = current
    stored = next
    current = effectiveValues(config, next.overrides)
    app.log.level = current.logLevel
    for (const listener of listeners) {
      try {
        listener(current, previous)
      } catch (err) {
        app.log.error({ err }, 'runtime config: a listener failed')
      }
    }
    app.log.info({ version: next.version, overrides: next.overrides }, 'runtime config applied')
  }

  // Start with the fleet's values, before any route is served; without Redis, with the environment's.
  try {
    apply(await store.load())
  } catch (err) {
    app.log.warn({ err }, 'runtime config: Redis unreachable at start, using the environment\'s values until it answers')
  }
  // A broadcast is applied only if newer. What a read after a reconnect finds is the truth even
  // if older (Redis lost its data and counts again from 0), so the whole fleet agrees with Redis.
  const same = (one: StoredConfig, other: StoredConfig) => JSON.stringify(one) === JSON.stringify(other)
  store.watch((next, resync) => {
    if (next.version > stored.version || ((resync || next.version === stored.version) && !same(next, stored))) apply(next)
  })

  function change (patch: unknown) {
    return (existing: StoredConfig): StoredConfig => {
      const overrides = mergePatch(existing.overrides, patch)
      const fields = invalidFields(schema, overrides)
      if (fields.length > 0) throw refusal(fields)
      return { version: existing.version + 1, overrides: overrides as RuntimeOverrides }
    }
  }

  const decorator: RuntimeConfig = {
    get current () { return current },
    get overrides () { return stored.overrides },
    get version () { return stored.version },
    feature: (name) => current.features[name] === true,
    onChange: (listener) => { listeners.push(listener) },
    async update (patch) {
      let next: StoredConfig
      try {
        next = await store.update(change(patch))
      } catch (error) {
        if (error instanceof RuntimeConfigInvalid) throw error
        const reason = error instanceof ConcurrentChanges ? error.message : 'Redis did not answer'
        app.log.warn({ err: error }, 'runtime config: change not stored')
        throw new RuntimeConfigUnavailable(reason)
      }
      // The broadcast may arrive after this answer; applying here makes the change visible at once.
      if (next.version > stored.version) apply(next)
      return { version: stored.version, values: current, overrides: stored.overrides }
    }
  }
  app.decorate('runtimeConfig', decorator)
  app.addHook('onClose', async () => { await store.close() })
}

export default fp(runtimeConfig, { name: 'runtime-config', dependencies: ['config', 'errors'] })

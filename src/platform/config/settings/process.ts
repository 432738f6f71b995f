import { Type } from '@sinclair/typebox'
import { maxTimerMs } from './limits.js'

/** Process: what the process mounts, where it listens and how it stops. */
export const processSettings = {
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port to listen on (0 picks a free one)' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'interface to listen on (`0.0.0.0` in a container)' }),
  MODULES: Type.String({
    default: 'all',
    pattern: '^(all|[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*)$',
    expected: '"all" or a comma list of module names',
    description: '`all` or a comma list of the modules to mount, e.g. `users,hello`; an unknown name is an error'
  }),
  DRAIN_DELAY_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 5000, description: 'on SIGTERM, how long the process keeps serving while not ready and withdrawn from discovery, so load balancers and other processes stop sending to it before it stops accepting (docs/guides/operating.md)' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 10000, description: 'after the drain delay, longest wait for in-flight requests and running jobs before exiting anyway' })
}

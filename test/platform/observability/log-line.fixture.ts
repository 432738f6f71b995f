// Writes two log lines through createLogger with the environment's settings: one carrying a secret header.
import { loadConfig } from '../../../src/platform/config/config.js'
import { createLogger } from '../../../src/platform/observability/logger.js'
import { registry } from '../../helpers/modules.js'

const log = createLogger(loadConfig({ ...process.env, MODULES: 'hello' }, registry))
log.info('a line for a person')
log.warn({ headers: { authorization: 'Bearer do-not-print-me' } }, 'with a secret')

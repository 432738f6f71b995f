import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { resolve } from 'node:path'
import { Connection, type SyncMessage } from 'rabbitmq-client'
import type { Test } from 'tap'
import { projectRoot } from './process.js'
import { until } from './until.js'

/** The machine's RabbitMQ (guest/guest); CLEAVE_TEST_AMQP_URL moves it. */
export const rabbitmqUrl = process.env.CLEAVE_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'

/** Debian's Python, with python3-pika and python3-flask (never another Python on the PATH). */
export const python = '/usr/bin/python3'

export interface TestRabbit {
  exchange: string
  /** AMQP_URL and AMQP_EXCHANGE for the apps and processes of this test. */
  env: { AMQP_URL: string, AMQP_EXCHANGE: string }
  /** A connection of the test's own, straight to the broker. */
  connection: Connection
  /** Declares a queue of the test's own (`<exchange>.<suffix>`) bound to these keys. */
  bindQueue (suffix: string, routingKeys: string[]): Promise<string>
  /** Deleted at teardown too: a queue the app declares (its consumer's, the dead-letter queue). */
  track (queue: string): string
  publish (routingKey: string, body: Buffer | string, properties?: { contentType?: string, messageId?: string }): Promise<void>
  messageCount (queue: string): Promise<number>
  /** Takes every message from the queue (acknowledged). */
  drain (queue: string): Promise<SyncMessage[]>
}

// Every test file its own exchange and queues (named with its pid), deleted when the test ends,
// after the apps built later in the test have closed (tap runs teardowns last first).
export async function testRabbit (t: Test): Promise<TestRabbit> {
  const exchange = `cleave_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const connection = new Connection({ url: rabbitmqUrl, retryHigh: 1000 })
  connection.on('error', () => {})
  await connection.onConnect(10_000)
  const queues = new Set<string>()
  const publisher = connection.createPublisher({ confirm: true })
  t.teardown(async () => {
    for (const queue of queues) await connection.queueDelete({ queue })
    await connection.exchangeDelete({ exchange })
    await publisher.close()
    await connection.close()
  })
  await connection.exchangeDeclare({ exchange, type: 'topic', durable: true })
  const track = (queue: string) => {
    queues.add(queue)
    return queue
  }
  return {
    exchange,
    env: { AMQP_URL: rabbitmqUrl, AMQP_EXCHANGE: exchange },
    connection,
    track,
    async bindQueue (suffix, routingKeys) {
      const queue = track(`${exchange}.${suffix}`)
      await connection.queueDeclare({ queue, durable: true })
      for (const routingKey of routingKeys) await connection.queueBind({ queue, exchange, routingKey })
      return queue
    },
    publish: (routingKey, body, properties = {}) => publisher.send({ exchange, routingKey, durable: true, ...properties }, Buffer.from(body)),
    // On a channel of its own: a passive declare of a missing queue closes the channel it ran on.
    async messageCount (queue) {
      const channel = await connection.acquire()
      try {
        return (await channel.queueDeclare({ queue, passive: true })).messageCount
      } finally {
        if (channel.active) await channel.close()
      }
    },
    async drain (queue) {
      const all: SyncMessage[] = []
      for (let message = await connection.basicGet({ queue, noAck: true }); message; message = await connection.basicGet({ queue, noAck: true })) all.push(message)
      return all
    }
  }
}

export interface PythonProcess {
  /** Every line it printed so far. */
  lines: string[]
  exited: Promise<number | null>
}

/** Runs a Python script of test/fixtures/python (or a path from the project root), killed at teardown. */
export function runPython (t: Test, script: string, args: string[], options: { stdin?: string, env?: Record<string, string> } = {}): PythonProcess {
  const file = script.includes('/') ? resolve(projectRoot, script) : resolve(projectRoot, 'test/fixtures/python', script)
  const child = spawn(python, [file, ...args], { cwd: projectRoot, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
  const exited = once(child, 'close').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const lines: string[] = []
  let stderr = ''
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line))
  child.stderr.on('data', (chunk) => { stderr += chunk })
  exited.then((code) => { if (code !== 0 && code !== null) t.comment(`${script} exited with ${code}:\n${stderr}`) }, () => {})
  child.stdin.end(options.stdin ?? '')
  return { lines, exited }
}

/** Waits for a line the script printed. */
export function printed (python: PythonProcess, what: string, match: (line: string) => boolean): Promise<string> {
  return until(() => python.lines.find(match), { what: `${what} printed`, timeoutMs: 30_000 })
}

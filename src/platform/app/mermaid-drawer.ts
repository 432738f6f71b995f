// Mermaid text to SVG, in a worker thread started on the first drawing: laying a graph out is
// synchronous work (the first, which loads the renderer, the longest) that must not hold up the
// requests this process serves meanwhile.
import { Worker } from 'node:worker_threads'

export interface MermaidDrawer {
  draw (source: string): Promise<string>
  close (): Promise<void>
}

// The worker's code, given the renderer's module URL: one drawing per message, answered by id.
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads')
const renderer = import(workerData.renderer)
parentPort.on('message', async ({ id, source }) => {
  try {
    const { renderMermaidSVG } = await renderer
    parentPort.postMessage({ id, svg: renderMermaidSVG(source) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) })
  }
})
`

/** Longest a drawing may take; past it the worker is stopped and the next drawing starts a new one. */
const drawingTimeoutMs = 10_000

export function createMermaidDrawer (): MermaidDrawer {
  let worker: Worker | undefined
  let nextId = 0
  const waiting = new Map<number, { resolve: (svg: string) => void, reject: (error: Error) => void, timer: NodeJS.Timeout }>()

  function fail (error: Error) {
    for (const { reject, timer } of waiting.values()) { clearTimeout(timer); reject(error) }
    waiting.clear()
    void worker?.terminate()
    worker = undefined
  }

  function started (): Worker {
    if (worker) return worker
    const fresh = new Worker(workerCode, { eval: true, workerData: { renderer: import.meta.resolve('beautiful-mermaid') } })
    fresh.unref()
    fresh.on('message', ({ id, svg, error }: { id: number, svg?: string, error?: string }) => {
      const call = waiting.get(id)
      if (!call) return
      waiting.delete(id)
      clearTimeout(call.timer)
      if (svg === undefined) call.reject(new Error(`the drawing failed: ${error}`))
      else call.resolve(svg)
    })
    fresh.on('error', (error) => { if (worker === fresh) fail(error) })
    fresh.on('exit', () => { if (worker === fresh) fail(new Error('the drawing worker stopped')) })
    return (worker = fresh)
  }

  return {
    draw (source) {
      const drawing = started()
      const id = nextId++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(new Error(`no drawing within ${drawingTimeoutMs} ms`)), drawingTimeoutMs)
        waiting.set(id, { resolve, reject, timer })
        drawing.postMessage({ id, source })
      })
    },
    async close () {
      const stopping = worker
      worker = undefined
      fail(new Error('closed'))
      await stopping?.terminate()
    }
  }
}

import type { Db } from './database.js'

/** What a transaction asked to run once it has committed (ModuleDatabase.afterCommit). */
export function createCommitCallbacks () {
  const open = new Map<Db, Array<() => void>>()
  return {
    /** Runs `work` with `tx` taking callbacks; resolves to its result and the callbacks it registered. */
    async collect<R> (tx: Db, work: () => Promise<R>): Promise<[R, Array<() => void>]> {
      const callbacks: Array<() => void> = []
      open.set(tx, callbacks)
      try {
        return [await work(), callbacks]
      } finally {
        open.delete(tx)
      }
    },
    add (tx: Db, callback: () => void): void {
      const callbacks = open.get(tx)
      if (!callbacks) throw new Error('afterCommit needs the tx of an open atomically() transaction')
      callbacks.push(callback)
    }
  }
}

export function runAll (callbacks: Array<() => void>): void {
  for (const callback of callbacks) callback()
}

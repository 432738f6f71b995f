// The modules as plain data, built once by the module registry from the contracts: which exist,
// which are implemented elsewhere, who calls whom and who handles whose events. A process is
// checked against it at start-up, `npm run map` draws it, `npm run check:deploy` checks files.

/** An event, the module that publishes it and those that handle it. */
export interface EventRoute {
  name: string
  publisher: string
  subscribers: readonly string[]
}

export interface ModuleGraph {
  /** Modules with an index file: what a process can mount. Sorted. */
  names: string[]
  /** Modules implemented elsewhere, reached through discovery. Sorted. */
  external: string[]
  /** The modules each module calls, as its contract declares (modules that call none are absent). */
  calls: Readonly<Record<string, readonly string[]>>
  /** Every published event, in name order. */
  events: readonly EventRoute[]
}

/** Every module, those implemented elsewhere included, sorted. */
export function everyModule ({ names, external }: Pick<ModuleGraph, 'names' | 'external'>): string[] {
  return [...names, ...external].sort()
}

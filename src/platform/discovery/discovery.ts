/** Finds the live instances of a module, however they were made known. */
export interface Resolver {
  /** Base URLs (no trailing slash) of live instances serving the module; empty when none is known. */
  instances (module: string): Promise<string[]>
  close (): Promise<void>
}

/** Makes this process known to the others while it serves. */
export interface Announcer {
  /** Called once the server listens; heartbeats until withdraw(). */
  announce (url: string, modules: string[]): Promise<void>
  /** Called first thing on shutdown, so callers stop choosing this instance. */
  withdraw (): Promise<void>
}

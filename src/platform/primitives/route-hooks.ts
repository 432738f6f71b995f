import type { onRequestHookHandler, onResponseHookHandler, preValidationHookHandler, RouteOptions } from 'fastify'

// A hook of one route, added in an onRoute listener after the route's own: per-route hooks let a
// plugin close over what it knows of the route (its pattern, its config) instead of looking it
// up on every request, and run in the order the plugins were registered.
export function addRouteHook (route: RouteOptions, name: 'onRequest', hook: onRequestHookHandler): void
export function addRouteHook (route: RouteOptions, name: 'preValidation', hook: preValidationHookHandler): void
export function addRouteHook (route: RouteOptions, name: 'onResponse', hook: onResponseHookHandler): void
export function addRouteHook (route: RouteOptions, name: 'onRequest' | 'preValidation' | 'onResponse', hook: onRequestHookHandler | preValidationHookHandler | onResponseHookHandler): void {
  const existing = route[name] as unknown
  ;(route as unknown as Record<string, unknown>)[name] = [...(existing === undefined ? [] : [existing].flat()), hook]
}

// Node fires a timer set past 2^31 − 1 ms after 1 ms instead: every call would time out at once.
export const maxTimerMs = 2_147_483_647
// A breaker that needs more calls than a process makes in a window never opens: the same as off, but hidden.
export const maxCalls = 100_000
// Past this many calls in flight to one target a process runs out of sockets long before the bulkhead says no.
export const maxConcurrency = 10_000

// More requests than one client can send in a window is no limit: say 0 for that.
export const maxRequests = 1_000_000

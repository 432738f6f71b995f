// dialects: sqlite postgres
import t from 'tap'
import { apiSuite } from './api-suite.js'
import { startMonolith } from './topologies.js'

t.test('one process with every module', async (t) => {
  const server = await startMonolith(t)
  await apiSuite(t, server.url)
})

// Where both Cleave and the assembled stack export spans in the bench: an OTLP/HTTP collector that
// keeps nothing, in a process of its own so neither server pays for it. GET answers how many
// exports it took, so the bench can tell a server that exports from one that silently does not.
import { createServer } from 'node:http'

let exports = 0
const server = createServer((request, response) => {
  request.resume()
  request.on('end', () => {
    if (request.method === 'POST') exports++
    response.writeHead(200, { 'content-type': 'application/json' }).end(request.method === 'POST' ? '{}' : JSON.stringify({ exports }))
  })
})
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1')
process.once('SIGTERM', () => server.close())

// The yardstick: the least a Node HTTP server can do per request on this machine. Run as its own
// process so it does not share an event loop (or a core) with the load generator.
import { createServer } from 'node:http'

const body = JSON.stringify({ id: 1, status: 'Ordered', productName: 'coffee', qty: 2, amt: 1000 })
const length = String(Buffer.byteLength(body))

const server = createServer((request, response) => {
  // Drain the request body so keep-alive connections stay usable, as a real server must.
  request.resume()
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': length })
    response.end(body)
  })
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
})

process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})

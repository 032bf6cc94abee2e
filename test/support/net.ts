import { connect } from 'node:net'

/** Whether a TCP connection to `host:port` is accepted. */
export const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/**
 * An address of this host other than 127.0.0.1: Linux routes all of 127.0.0.0/8 to loopback, so
 * it reaches a listener on all interfaces, never one bound to 127.0.0.1. None elsewhere.
 */
export const otherLoopback = process.platform === 'linux' ? '127.0.0.2' : undefined

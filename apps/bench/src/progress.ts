/** Progress on stderr, so stdout carries only the JSON summary. */
const out = process.stderr

export function note(text: string): void {
  out.write(`${text}\n`)
}

export interface Progress {
  update(text: string): void
  done(text: string): void
}

/** One line rewritten in place on a terminal; a plain line every few seconds in a log file. */
export function progressLine(everyMs = 2000): Progress {
  let lastPrinted = 0
  return {
    update(text) {
      if (out.isTTY) {
        out.write(`\r\x1b[2K${text}`)
        return
      }
      const now = Date.now()
      if (now - lastPrinted < everyMs) return
      lastPrinted = now
      out.write(`${text}\n`)
    },
    done(text) {
      out.write(out.isTTY ? `\r\x1b[2K${text}\n` : `${text}\n`)
    },
  }
}

export async function bench(_args: string[], _logger: unknown) {
  throw new Error('not yet')
}

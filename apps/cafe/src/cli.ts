import module from 'node:module'

// Start-up is mostly compiling modules (this process's and the embedded worker thread's): with
// V8's code cache on disk, later starts skip most of it. A cache that cannot be written is skipped.
module.enableCompileCache?.()
await import('./commands.ts')

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, matchesGlob, relative, resolve } from 'node:path'
import { root } from './manifests.ts'

export interface Instruction {
  readonly keyword: string
  readonly args: string
  /** Index of the build stage (FROM) it belongs to. */
  readonly stage: number
}

/** The Dockerfile's instructions, continuation lines joined, comments and parser directives dropped. */
export function dockerfile(path = join(root, 'Dockerfile')): Instruction[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
  const joined = lines.join('\n').replace(/\\\n/g, ' ')
  let stage = -1
  const instructions: Instruction[] = []
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line)
    if (!match) continue
    const keyword = (match[1] as string).toUpperCase()
    if (keyword === 'FROM') stage += 1
    instructions.push({ keyword, args: (match[2] as string).trim(), stage })
  }
  return instructions
}

/** Whether the build context leaves `path` out, by .dockerignore's rules (the last match wins). */
export function ignoredByDocker(path: string): boolean {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  const segments = path.split('/')
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'))
  let ignored = false
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!')
    const glob = negated ? pattern.slice(1) : pattern
    if (prefixes.some((prefix) => matchesGlob(prefix, glob))) ignored = !negated
  }
  return ignored
}

interface Workspace {
  readonly name: string
  readonly dir: string
  readonly manifest: any
}

/** The root package and every workspace package the root's `workspaces` globs name. */
export function workspaces(): Workspace[] {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const found: Workspace[] = [{ name: rootManifest.name, dir: '.', manifest: rootManifest }]
  for (const glob of rootManifest.workspaces as string[]) {
    const parent = glob.replace(/\/\*$/, '')
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
      const dir = `${parent}/${entry.name}`
      if (!entry.isDirectory() || !existsSync(join(root, dir, 'package.json'))) continue
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))
      found.push({ name: manifest.name, dir, manifest })
    }
  }
  return found
}

const importPatterns = [
  /^\s*(?:import|export)\s+(type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s+from\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*()['"]([^'"]+)['"]/gm,
  /\bimport\(\s*()['"]([^'"]+)['"]\s*\)/g,
]

/**
 * Every file Node loads from `entry` on and every npm package they import, following relative
 * imports, dynamic ones and workspace packages (`@cafeteria/*`, by their `exports`); type-only
 * imports are erased. The workspaces named in `leftOut` are not followed: where they are imported
 * is reported in `leftOut` instead.
 */
export function runtimeImports(
  entry: string,
  options: { leftOut?: readonly string[] } = {},
): { files: Set<string>; packages: Set<string>; leftOut: Map<string, string> } {
  const byName = new Map(workspaces().map((w) => [w.name, w]))
  const files = new Set<string>()
  const packages = new Set<string>()
  const leftOut = new Map<string, string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const source = readFileSync(join(root, file), 'utf8')
    for (const pattern of importPatterns) {
      for (const [, typeOnly, specifier] of source.matchAll(pattern)) {
        if (typeOnly || !specifier) continue
        if (specifier.startsWith('.')) {
          const target = relative(root, resolve(root, dirname(file), specifier))
          if (!existsSync(join(root, target))) throw new Error(`${file} imports a missing ${specifier}`)
          visit(target)
          continue
        }
        if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue
        const parts = specifier.split('/')
        const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string)
        const workspace = byName.get(name)
        if (workspace && options.leftOut?.includes(name)) leftOut.set(name, file)
        else if (workspace) {
          const exported = workspace.manifest.exports[`.${specifier.slice(name.length)}`]
          if (!exported) throw new Error(`${file} imports ${specifier}, which ${name} does not export`)
          visit(join(workspace.dir, exported))
        } else packages.add(name)
      }
    }
  }
  visit(entry)
  return { files, packages, leftOut }
}

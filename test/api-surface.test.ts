/**
 * The public API as a snapshot: each entry point's exports (`.`, `./plugin`,
 * `./test`) with their kind and type, read by TypeScript's own checker from
 * the sources the package is built from. A change to the surface changes
 * test/api-surface.txt, visibly, in review; every export is named in its
 * entry point's section of docs/api.md, where users find it.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

const REPO = resolve(import.meta.dirname, '..')
/** Each entry point of package.json's `exports` and the source it is built from. */
const ENTRIES: Record<string, string> = {
  'vitest-napi-tracing': 'src/index.ts',
  'vitest-napi-tracing/plugin': 'plugin/index.ts',
  'vitest-napi-tracing/test': 'plugin/test.ts',
}

function surface(): Record<string, string[]> {
  const files = Object.values(ENTRIES).map((f) => join(REPO, f))
  const config = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!
  const program = ts.createProgram(files, config.options)
  const checker = program.getTypeChecker()
  const text = (type: ts.Type) => checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation)
  /** A type's members, one per line: `name?: type` (methods as their signatures). */
  // Symbol-keyed members (`__@SPEC@105`, internal brands with unstable ids) and private ones are left out.
  const members = (type: ts.Type): string[] =>
    checker.getPropertiesOfType(type).filter((p) => !/^(__@|#)/.test(p.getName())).map((p) => {
      const optional = p.flags & ts.SymbolFlags.Optional ? '?' : ''
      return `${p.getName()}${optional}: ${text(checker.getTypeOfSymbol(p))}`
    })
  const out: Record<string, string[]> = {}
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(join(REPO, file))!
    const module = checker.getSymbolAtLocation(source)!
    out[entry] = checker
      .getExportsOfModule(module)
      .sort((a, b) => a.getName().localeCompare(b.getName()))
      .flatMap((exported) => {
        const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
        const name = exported.getName()
        if (symbol.flags & ts.SymbolFlags.Class) {
          const statics = members(checker.getTypeOfSymbol(symbol)).filter((m) => !m.startsWith('prototype:'))
          return [`class ${name}`, ...statics.map((m) => `  static ${m}`), ...members(checker.getDeclaredTypeOfSymbol(symbol)).map((m) => `  ${m}`)]
        }
        if (symbol.flags & ts.SymbolFlags.Function) {
          return checker.getTypeOfSymbol(symbol).getCallSignatures().map((sig) => `function ${name}${checker.signatureToString(sig)}`)
        }
        if (symbol.flags & ts.SymbolFlags.Variable) return [`const ${name}: ${text(checker.getTypeOfSymbol(symbol))}`]
        const type = checker.getDeclaredTypeOfSymbol(symbol)
        const declaration = symbol.declarations?.[0]
        if (declaration && ts.isTypeAliasDeclaration(declaration) && !(type.flags & ts.TypeFlags.Object)) {
          // Unions as their members (not the internal names they are built from), others as written.
          const expanded = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias)
          return [`type ${name} = ${type.isUnion() ? expanded : declaration.type.getText().replace(/\s+/g, ' ')}`]
        }
        if (declaration && ts.isTypeAliasDeclaration(declaration) && members(type).length === 0) return [`type ${name} = ${declaration.type.getText()}`]
        return [`${symbol.flags & ts.SymbolFlags.Interface ? 'interface' : 'type'} ${name}`, ...members(type).map((m) => `  ${m}`)]
      })
  }
  return out
}

test('each entry point exports exactly the snapshot', async () => {
  const text = Object.entries(surface())
    .map(([entry, lines]) => `${entry}\n${lines.map((l) => `  ${l}`).join('\n')}\n`)
    .join('\n')
  await expect(text).toMatchFileSnapshot('./api-surface.txt')
})

/** docs/api.md's section of each entry point: from its `## \`entry\`` heading to the next heading of that level. */
function apiSections(): Map<string, string> {
  const page = readFileSync(join(REPO, 'docs/api.md'), 'utf8')
  return new Map(page.split(/^(?=## )/m).flatMap((part) => {
    const entry = /^## `([^`]+)`\n/.exec(part)?.[1]
    return entry ? [[entry, part] as const] : []
  }))
}

test("every export is named in its entry point's section of docs/api.md", () => {
  const sections = apiSections()
  expect([...sections.keys()]).toEqual(Object.keys(ENTRIES))
  const missing = Object.entries(surface()).flatMap(([entry, lines]) =>
    lines
      .filter((l) => !l.startsWith(' '))
      .map((l) => /^\w+ (\w+)/.exec(l)![1]!)
      .filter((name) => name !== 'default' && !new RegExp(`\\b${name}\\b`).test(sections.get(entry) ?? ''))
      .map((name) => `${entry}: ${name}`),
  )
  expect(missing).toEqual([])
})

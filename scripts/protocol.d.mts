/** The part between `// <name>` and `// </name>` in `text`, markers included; undefined when absent. */
export function part(text: string, name: string): string | undefined
/** The entry points' part of src/protocol.generated.ts from an addon's index.d.ts. */
export function entryPointTypes(dts: string): string
/** The addon whose index.d.ts gives the entry points' types. */
export const INDEX_D_TS: string

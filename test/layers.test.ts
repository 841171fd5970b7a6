/**
 * Dependencies point one way: main → server → api → monitoring → snapshot → store, risk (and cli → store). Parses every import of
 * src/**.ts (static, re-exports, `import()` and `import type` alike, generated code excepted) and fails on any import
 * from a layer to one it may not use; the engine (src/risk) imports no other layer and no I/O package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', 'src');

/** The layers each layer may import (its own always allowed). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  risk: [],
  store: ['generated'],
  snapshot: ['store', 'risk'],
  monitoring: ['snapshot', 'store', 'risk'],
  api: ['monitoring', 'snapshot', 'store', 'risk', 'generated'],
  server: ['api', 'monitoring', 'snapshot', 'store', 'risk', 'generated'],
  'main.ts': ['server', 'api', 'monitoring', 'snapshot', 'store', 'risk', 'generated'],
  /** One-shot operator commands (migrate, admin bootstrap): entry points beside main, over the store only. */
  cli: ['store', 'generated'],
};
/** Packages the pure engine may use. */
const ENGINE_PACKAGES = ['decimal.js'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' && dir === SRC ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers of a file: `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;
  for (const match of text.matchAll(pattern)) out.push(match[2]!);
  return out;
}

/** The layer of a path inside src/: its first folder, or the file's name at the top. */
const layerOf = (path: string): string => relative(SRC, path).split(/[\\/]/)[0]!;

describe('layering of src/', () => {
  const files = sourceFiles(SRC);
  const edges = files.flatMap((file) =>
    specifiers(readFileSync(file, 'utf8')).map((spec) => ({ file: relative(SRC, file), from: layerOf(file), spec })),
  );

  it('reads every layer and its imports', () => {
    expect(new Set(files.map(layerOf))).toEqual(new Set(Object.keys(ALLOWED)));
    expect(edges.length).toBeGreaterThan(300);
    expect(specifiers(`import a from './x'; export { b } from "../y"; const c = import('../z'); import type { D } from '../w';`)).toEqual([
      './x',
      '../y',
      '../z',
      '../w',
    ]);
  });

  it('has no import from a layer to one above it or beside it', () => {
    const wrong: string[] = [];
    for (const { file, from, spec } of edges) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(SRC, dirname(file), spec);
      if (!target.startsWith(SRC)) {
        wrong.push(`${file} → ${spec} (outside src/)`);
        continue;
      }
      const to = layerOf(target);
      if (to !== from && !ALLOWED[from]!.includes(to)) wrong.push(`${file} (${from}) → ${spec} (${to})`);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the engine pure: no package but decimal.js', () => {
    const used = edges.filter((e) => e.from === 'risk' && !e.spec.startsWith('.')).map((e) => `${e.file} → ${e.spec}`);
    expect(used.filter((u) => !ENGINE_PACKAGES.some((p) => u.endsWith(`→ ${p}`)))).toEqual([]);
  });
});

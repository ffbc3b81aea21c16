import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

// DESIGN.md: one folder per layer; imports only point down the list.
const ALLOWED: Record<string, string[]> = {
  app: ['app', 'ui', 'state', 'workers', 'ml', 'data', 'core'],
  ui: ['ui', 'state', 'core'],
  state: ['state', 'core', 'data', 'workers'],
  // workers may use data too: the embed worker decodes image files and reads/writes the embedding
  // cache (src/data/images, src/data/cache) off the UI thread.
  workers: ['workers', 'ml', 'core', 'data'],
  ml: ['ml', 'core'],
  data: ['data', 'core'],
  core: ['core'],
};
// Packages only one layer may import.
const PACKAGE_OWNERS: [RegExp, string[]][] = [
  [/^@huggingface\/transformers/, ['ml']],
  [/^onnxruntime-(web|node)/, ['ml']],
  [/^(react|react-dom|zustand|d3)/, ['app', 'ui', 'state']],
  [/^(idb|fflate)/, ['data', 'app']],
];

const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

/** Static and dynamic import specifiers, including `import type` (type imports may also only point down). */
export function importsOf(code: string): string[] {
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function layerOf(file: string): string {
  return relative(SRC, file).split(sep)[0];
}

describe('layering (DESIGN.md)', () => {
  const files = sourceFiles(SRC);

  it('finds the source files', () => {
    expect(files.some((f) => layerOf(f) === 'core')).toBe(true);
  });

  it('parses the import forms it checks', () => {
    expect(importsOf(`import { a } from '../ui/x';\nimport type { B } from "../state/y";\nconst m = import('../ml/z');\nimport './side';`))
      .toEqual(['../ui/x', '../state/y', '../ml/z', './side']);
  });

  it('every relative import points down the layer list, and packages stay with their owners', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      if (!(from in ALLOWED)) {
        violations.push(`${relative(SRC, file)}: folder "${from}" is not a layer of DESIGN.md`);
        continue;
      }
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(SRC + sep)) {
            violations.push(`${relative(SRC, file)} imports ${spec}, outside src/`);
            continue;
          }
          const to = layerOf(target);
          if (!ALLOWED[from].includes(to)) violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
        } else {
          for (const [re, owners] of PACKAGE_OWNERS) {
            if (re.test(spec) && !owners.includes(from)) violations.push(`${relative(SRC, file)} (${from}) imports package ${spec}`);
          }
          if (from === 'core' && !/^(zod|d3-hierarchy|d3-scale|d3-shape)(\/|$)/.test(spec)) {
            violations.push(`${relative(SRC, file)} (core) imports package ${spec}; core stays pure`);
          }
        }
      }
    }
    expect(violations).toEqual([]);
  });
});

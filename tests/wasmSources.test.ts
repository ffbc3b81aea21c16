// Every generated WebAssembly module (tools/wasm/build.ts) must come from the .wat in the tree:
// a .wat edited without `npm run build:wasm` would leave the studio running the old code.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { WASM_SOURCES, watSha256 } from '../tools/wasm/build.ts';

describe('generated WebAssembly modules', () => {
  for (const { wat, ts } of WASM_SOURCES) {
    it(`${ts} was assembled from the ${wat} in the tree (run \`npm run build:wasm\` after editing it)`, async () => {
      const mod = (await import(resolve(import.meta.dirname, '..', ts))) as { WAT_SHA256: string; WASM_BASE64: string };
      expect(mod.WAT_SHA256).toBe(watSha256(wat));
      expect(WebAssembly.validate(Uint8Array.from(atob(mod.WASM_BASE64), (c) => c.charCodeAt(0)))).toBe(true);
    });
  }
});

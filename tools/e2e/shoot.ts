/** Quick look: `npx tsx tools/e2e/shoot.ts [query]` writes artifacts/screenshots/quick-*.png. */
import { startHarness, SHOTS } from './harness.ts';

const h = await startHarness();
try {
  for (const [w, hh] of [[1440, 900], [1280, 800]]) {
    const p = await h.page({ width: w, height: hh, query: process.argv[2] ?? '?fresh' });
    await p.waitForTimeout(500);
    await p.screenshot({ path: `${SHOTS}/quick-${w}x${hh}.png` });
    await p.context().close();
  }
} finally {
  await h.close();
}

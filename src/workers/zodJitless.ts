/**
 * Imported first by the page and by every worker: zod 4 probes `new Function('')` the first time
 * it parses an object, to decide whether to JIT its parsers. Under the studio's CSP (no
 * 'unsafe-eval', tools/vite/csp.ts) the probe fails quietly but the browser still reports a CSP
 * violation; `jitless` skips the probe. Parsing is the same either way.
 */
import { config } from 'zod';

config({ jitless: true });

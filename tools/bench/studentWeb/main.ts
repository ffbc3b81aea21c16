/** Page side of tools/bench/studentBrowser.ts: runs the worker and hands its report to Playwright. */
import type { WebBenchRequest, WebBenchReport } from './worker.ts';

declare global {
  interface Window {
    runStudentBench(req: WebBenchRequest): Promise<WebBenchReport>;
  }
}

window.runStudentBench = (req) =>
  new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<WebBenchReport | { error: string }>) => {
      w.terminate();
      if ('error' in e.data) reject(new Error(e.data.error));
      else resolve(e.data);
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(req);
  });

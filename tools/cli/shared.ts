/** Pieces the CLI commands share: the fast kernel, progress on stderr, metric sentences. */
import type { Metrics, Progress } from '../../src/core/types.ts';
import type { KernelFactory } from '../../src/core/student/kernel.ts';
import { ortNodeKernelFactory } from '../../src/ml/kernels/ortNode.ts';

/** onnxruntime-node's GEMM (≈70× plain JS loops here); the pure-JS kernel when CONCEPT_STUDIO_KERNEL=js. */
export async function cliKernel(): Promise<KernelFactory | undefined> {
  return process.env.CONCEPT_STUDIO_KERNEL === 'js' ? undefined : ortNodeKernelFactory();
}

/** A progress line on stderr, rewritten in place on a terminal. */
export function progressLine(): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200 && p.done !== p.total) return;
    last = now;
    const line = `${p.stage}: ${p.done}/${p.total}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(40)}` : '');
  };
}

export function pct(v: number): string {
  return `${(100 * v).toFixed(1)} %`;
}

/** Two lines saying what each number compares and on how many images. */
export function describeMetrics(m: Metrics, hasLabels: boolean): string {
  const lines = [`held-out fidelity ${pct(m.fidelity)} (student agrees with the teacher, ${m.n} images)`];
  if (m.accuracy !== null) lines.push(`held-out accuracy ${pct(m.accuracy)} (student agrees with the labels)`);
  else if (hasLabels) lines.push('held-out accuracy: no labelled image in the held-out split');
  return lines.join('\n');
}

/** "+1.2 points" / "−0.4 points" / "±0.0 points". */
export function points(delta: number): string {
  const p = 100 * delta;
  if (Math.abs(p) < 0.05) return '±0.0 points';
  return `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(1)} points`;
}

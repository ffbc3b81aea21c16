import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { decodeImage } from '../data/images/index.ts';
import { loadOnnxTeacherNode } from './teacherNode.ts';
import { parseJsonLenient, parseTeacherDescription, TeacherLoadError } from './teacher.ts';

const ROOT = join(import.meta.dirname, '../..');
const DEMO = join(ROOT, 'models/demo-teacher');

// ------------------------------------------------------------------ tiny generated fixtures

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function f32tensor(name: string, dims: number[], values: number[]) {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: bytes });
}

function io(name: string, elemType: number, shape: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

interface TinyOpts {
  /** Number of outputs K (default 4). */
  K?: number;
  /** Declared input shape (default ['batch', 3, 8, 8]). */
  inputShape?: (number | string)[];
  inputType?: number;
  /** Declared output shape (default ['batch', K]). */
  outputShape?: (number | string)[];
  softmax?: boolean;
  twoInputs?: boolean;
  /** Axes averaged away (default [2, 3]); the remaining non-batch axis has `channels` entries. */
  reduceAxes?: number[];
  channels?: number;
}

/**
 * A tiny classifier: mean colour per channel (ReduceMean over H, W) → 3×K MatMul (+ Softmax).
 * Weights are fixed so the expected output is computable by hand.
 */
function tinyTeacher(o: TinyOpts = {}): Uint8Array {
  const K = o.K ?? 4;
  const ch = o.channels ?? 3;
  const W = Array.from({ length: ch * K }, (_, i) => ((i * 7) % 5) - 2); // ch×K, row-major
  const nodes = [
    onnx.NodeProto.create({
      opType: 'ReduceMean', input: ['pixel_values'], output: ['pooled'], name: 'pool',
      attribute: [
        onnx.AttributeProto.create({ name: 'axes', ints: o.reduceAxes ?? [2, 3], type: onnx.AttributeProto.AttributeType.INTS }),
        onnx.AttributeProto.create({ name: 'keepdims', i: 0, type: onnx.AttributeProto.AttributeType.INT }),
      ],
    }),
    onnx.NodeProto.create({ opType: 'MatMul', input: ['pooled', 'W'], output: [o.softmax ? 'z' : 'logits'], name: 'mm' }),
  ];
  if (o.softmax) nodes.push(onnx.NodeProto.create({ opType: 'Softmax', input: ['z'], output: ['logits'], name: 'sm', attribute: [onnx.AttributeProto.create({ name: 'axis', i: -1, type: onnx.AttributeProto.AttributeType.INT })] }));
  const inputs = [io('pixel_values', o.inputType ?? FLOAT, o.inputShape ?? ['batch', 3, 8, 8])];
  if (o.twoInputs) inputs.push(io('extra', FLOAT, ['batch', 1]));
  const graph = onnx.GraphProto.create({
    name: 'tiny_teacher',
    input: inputs,
    output: [io('logits', FLOAT, o.outputShape ?? ['batch', K])],
    initializer: [f32tensor('W', [ch, K], W)],
    node: nodes,
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, producerName: 'teacher.test', opsetImport: [{ domain: '', version: 13 }], graph })).finish();
}

const tinyJson = (over: Record<string, unknown> = {}) => ({
  name: 'tiny',
  labels: ['a', 'b', 'c', 'd'],
  output: { kind: 'logits' },
  preprocessing: { size: { shortest_edge: 8 }, crop_size: { height: 8, width: 8 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
  ...over,
});

function solid(w: number, h: number, rgb: [number, number, number]) {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, data };
}

describe('ONNX teacher: tiny fixtures', () => {
  it('runs images through the shared preprocessing and returns softmax probabilities', async () => {
    const t = await loadOnnxTeacherNode(tinyTeacher(), tinyJson());
    expect(t.C).toBe(4);
    expect(t.inputSize).toEqual([8, 8]);
    const imgs = [solid(20, 12, [255, 0, 0]), solid(9, 9, [0, 255, 255]), solid(8, 8, [128, 128, 128])];
    const P = await t.predict(imgs);
    expect(P.length).toBe(12);
    // Expected by hand: pixel → (v/255 − 0.5)/0.5, mean over the image, · W, softmax.
    const Wm = Array.from({ length: 12 }, (_, i) => ((i * 7) % 5) - 2);
    imgs.forEach((img, n) => {
      const x = [0, 1, 2].map((c) => (Math.fround(img.data[c] / 255) - 0.5) / 0.5);
      const z = [0, 1, 2, 3].map((k) => x[0] * Wm[k] + x[1] * Wm[4 + k] + x[2] * Wm[8 + k]);
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < 4; k++) expect(P[n * 4 + k]).toBeCloseTo(e[k] / s, 5);
    });
    await t.dispose();
  });

  it('passes probabilities through (kind "probabilities") and batches across chunk edges', async () => {
    const t = await loadOnnxTeacherNode(tinyTeacher({ softmax: true }), tinyJson({ output: { kind: 'probabilities' } }), { batch: 2 });
    const t2 = await loadOnnxTeacherNode(tinyTeacher(), tinyJson(), { batch: 64 });
    const imgs = Array.from({ length: 5 }, (_, i) => solid(10, 10, [i * 50, 255 - i * 40, 30 * i]));
    const a = await t.predict(imgs);
    const b = await t2.predict(imgs);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    for (let n = 0; n < 5; n++) expect(a.slice(n * 4, n * 4 + 4).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
  });

  it('refuses a model whose output size differs from the label list', async () => {
    await expect(loadOnnxTeacherNode(tinyTeacher({ K: 5 }), tinyJson())).rejects.toThrow('the model gives 5 outputs but the label list has 4 labels');
  });

  it('finds a wrong output size by running the model when the shape is symbolic', async () => {
    await expect(loadOnnxTeacherNode(tinyTeacher({ K: 5, outputShape: ['batch', 'classes'] }), tinyJson())).rejects.toThrow(
      'the model gives 5 outputs but the label list has 4 labels',
    );
  });

  it('refuses a model whose input is not [batch, 3, H, W], reporting the actual shape', async () => {
    const nhwc = tinyTeacher({ inputShape: ['batch', 8, 8, 3], reduceAxes: [1, 2] });
    await expect(loadOnnxTeacherNode(nhwc, tinyJson())).rejects.toThrow(/input "pixel_values" has shape \["batch", 8, 8, 3\]; a teacher needs \[batch, 3, H, W\] \(8 channels, not 3\)/);
    const rank3 = tinyTeacher({ inputShape: ['batch', 3, 64], reduceAxes: [2] });
    await expect(loadOnnxTeacherNode(rank3, tinyJson())).rejects.toThrow(/has shape \["batch", 3, 64\].*rank 3, not 4/);
    const size = tinyTeacher({ inputShape: ['batch', 3, 16, 16] });
    await expect(loadOnnxTeacherNode(size, tinyJson())).rejects.toThrow(/produces 8×8 images but the model takes 16×16/);
  });

  it('refuses non-float inputs and models with two inputs', async () => {
    await expect(loadOnnxTeacherNode(tinyTeacher({ inputType: INT64 }), tinyJson())).rejects.toThrow(TeacherLoadError);
    const gray = tinyTeacher({ inputShape: ['batch', 1, 8, 8], channels: 1 });
    await expect(loadOnnxTeacherNode(gray, tinyJson())).rejects.toThrow(/has shape \["batch", 1, 8, 8\].*\(1 channels, not 3\)/);
    await expect(loadOnnxTeacherNode(tinyTeacher({ twoInputs: true }), tinyJson())).rejects.toThrow(/has 2 inputs \(pixel_values, extra\)/);
  });

  it('refuses a "probabilities" teacher whose outputs are logits', async () => {
    await expect(loadOnnxTeacherNode(tinyTeacher(), tinyJson({ output: { kind: 'probabilities' } }))).rejects.toThrow(/set "output": \{"kind": "logits"\}/);
  });

  it('refuses bytes that are not an ONNX model', async () => {
    await expect(loadOnnxTeacherNode(new Uint8Array([1, 2, 3, 4]), tinyJson())).rejects.toThrow(/onnxruntime cannot load the teacher model/);
  });
});

describe('teacher.json schema', () => {
  it('accepts the demo teacher description', () => {
    const d = parseTeacherDescription(readFileSync(join(DEMO, 'teacher.json'), 'utf8'));
    expect(d.labels).toEqual(['ok', 'scratched', 'rusty', 'cracked', 'dented', 'chipped']);
    expect(d.output.kind).toBe('logits');
  });

  it('lists every problem with its path', () => {
    expect(() => parseTeacherDescription({ name: 'x', labels: ['a', 'A'], output: { kind: 'scores' }, preprocessing: { size: 0 } })).toThrow(
      /labels: label "A" appears twice.*output\.kind.*preprocessing\.size/,
    );
    expect(() => parseTeacherDescription('{nope')).toThrow(/not valid JSON/);
    expect(parseJsonLenient('{"a": NaN, "b": [-Infinity], "c": "NaN Infinity"}')).toEqual({ a: null, b: [null], c: 'NaN Infinity' });
    expect(() => parseTeacherDescription({ name: 'x', labels: ['a'], output: { kind: 'logits' }, preprocessing: { size: 8 } })).toThrow(/at least 2 labels/);
  });
});

describe('ONNX teacher: models/demo-teacher', () => {
  it('loads, validates and reproduces the reference logits on the committed JPEGs', async () => {
    const t = await loadOnnxTeacherNode(new Uint8Array(readFileSync(join(DEMO, 'teacher.onnx'))), readFileSync(join(DEMO, 'teacher.json'), 'utf8'));
    expect(t.labels.length).toBe(6);
    expect(t.inputSize).toEqual([64, 64]);
    const ref = JSON.parse(readFileSync(join(ROOT, 'tools/demo/reference.json'), 'utf8')).images as { file: string; teacher_logits: number[]; condition: string }[];
    const imgs = await Promise.all(ref.map(async (r) => decodeImage(new Uint8Array(readFileSync(join(ROOT, r.file))), r.file)));
    const P = await t.predict(imgs);
    ref.forEach((r, n) => {
      const z = r.teacher_logits;
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      // Reference made with PIL's JPEG decoder; ours may differ by a grey level here and there.
      for (let c = 0; c < 6; c++) expect(Math.abs(P[n * 6 + c] - e[c] / s)).toBeLessThan(2e-2);
      const arg = (v: ArrayLike<number>) => Array.from(v).indexOf(Math.max(...Array.from(v)));
      expect(arg(P.subarray(n * 6, n * 6 + 6))).toBe(arg(z));
    });
    await t.dispose();
  });

  it('refuses the demo model with a 5-label list', async () => {
    const json = parseJsonLenient(readFileSync(join(DEMO, 'teacher.json'), 'utf8')) as { labels: string[] };
    json.labels = json.labels.slice(0, 5);
    await expect(loadOnnxTeacherNode(new Uint8Array(readFileSync(join(DEMO, 'teacher.onnx'))), json)).rejects.toThrow(
      'the model gives 6 outputs but the label list has 5 labels',
    );
  });
});

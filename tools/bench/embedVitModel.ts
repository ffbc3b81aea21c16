/**
 * A CLIP ViT-B/32-shaped image tower with random weights, for timing only (never committed:
 * ~351 MB). Same compute as Xenova/clip-vit-base-patch32's vision_model.onnx: 32×32 patch conv
 * (3→768), 49 patches + a class token, 12 pre-LN blocks of 12-head attention and a 3072-wide
 * quick-GELU MLP, post-LN on the class token, 768→512 projection. Opset 17 (LayerNormalization).
 * The class token is built from the first patch token ×0 + a learned vector, which keeps the
 * batch dimension dynamic without shape arithmetic; it costs nothing measurable.
 */
import { mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

const WIDTH = 768;
const LAYERS = 12;
const HEADS = 12;
const MLP = 3072;
const PATCH = 32;
const TOKENS = 50;
const PROJ = 512;

function rand(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // LCG: plenty for random weights, and fast
    out[i] = ((s >>> 8) / 16777216 - 0.5) * 2 * scale;
  }
  return out;
}

/**
 * `quantized`: the linear layers become what onnxruntime's dynamic quantisation (the recipe
 * behind the hub's *_quantized.onnx files) emits: DynamicQuantizeLinear on the activations,
 * MatMulInteger against int8 weights, then rescale — so WASM can be timed at q8, its default.
 */
export function vitB32Vision(quantized = false): Uint8Array {
  const init: ReturnType<typeof onnx.TensorProto.create>[] = [];
  const nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  let seed = 1;
  const f32 = (name: string, dims: number[], scale = 0.02, fill?: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = fill === undefined ? rand(n, seed++, scale) : new Float32Array(n).fill(fill);
    init.push(onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const i64 = (name: string, values: number[]) => {
    init.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) }));
    return name;
  };
  let k = 0;
  const op = (type: string, inputs: string[], attrs: Record<string, number | number[]> = {}, outputs = 1): string[] => {
    const outs = Array.from({ length: outputs }, () => `t${k++}`);
    nodes.push(onnx.NodeProto.create({
      opType: type, input: inputs, output: outs, name: outs[0],
      attribute: Object.entries(attrs).map(([name, v]) => Array.isArray(v)
        ? onnx.AttributeProto.create({ name, ints: v, type: onnx.AttributeProto.AttributeType.INTS })
        : Number.isInteger(v)
          ? onnx.AttributeProto.create({ name, i: v, type: onnx.AttributeProto.AttributeType.INT })
          : onnx.AttributeProto.create({ name, f: v, type: onnx.AttributeProto.AttributeType.FLOAT })),
    }));
    return outs;
  };
  const ln = (x: string, p: string) => op('LayerNormalization', [x, f32(`${p}.g`, [WIDTH], 0, 1), f32(`${p}.b`, [WIDTH], 0, 0)], { axis: -1, epsilon: 1e-5 })[0];
  const int8 = (name: string, dims: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const w = rand(n, seed++, 127);
    init.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.INT8, rawData: new Uint8Array(Int8Array.from(w, Math.round).buffer) }));
    return name;
  };
  const matmul = (x: string, p: string, i: number, o: number) => {
    if (!quantized) return op('MatMul', [x, f32(`${p}.w`, [i, o])])[0];
    const [xq, xs, xzp] = op('DynamicQuantizeLinear', [x], {}, 3);
    const acc = op('MatMulInteger', [xq, int8(`${p}.wq`, [i, o]), xzp, i8zero])[0];
    const scale = op('Mul', [xs, f32(`${p}.ws`, [1], 0, 0.02 / 127)])[0];
    return op('Mul', [op('Cast', [acc], { to: FLOAT })[0], scale])[0];
  };
  const i8zero = 'int8_zero';
  if (quantized) init.push(onnx.TensorProto.create({ name: i8zero, dims: [], dataType: onnx.TensorProto.DataType.INT8, rawData: new Uint8Array(1) }));
  const linear = (x: string, p: string, i: number, o: number) => op('Add', [matmul(x, p, i, o), f32(`${p}.bias`, [o], 0.01)])[0];

  i64('shape_bsd', [0, 0, WIDTH]);
  i64('shape_heads', [0, 0, HEADS, WIDTH / HEADS]);
  i64('shape_patches', [0, WIDTH, -1]);
  i64('zero', [0]);
  i64('one', [1]);
  f32('zero_f', [1], 0, 0);
  f32('attn_scale', [1], 0, 1 / Math.sqrt(WIDTH / HEADS));
  f32('gelu_k', [1], 0, 1.702);

  const conv = op('Conv', ['pixel_values', f32('patch.w', [WIDTH, 3, PATCH, PATCH])], { kernel_shape: [PATCH, PATCH], strides: [PATCH, PATCH] })[0];
  const patches = op('Transpose', [op('Reshape', [conv, 'shape_patches'])[0]], { perm: [0, 2, 1] })[0]; // [B,49,768]
  const first = op('Slice', [patches, 'zero', 'one', 'one'])[0]; // [B,1,768]
  const cls = op('Add', [op('Mul', [first, 'zero_f'])[0], f32('cls', [1, 1, WIDTH])])[0];
  let x = op('Add', [op('Concat', [cls, patches], { axis: 1 })[0], f32('pos', [TOKENS, WIDTH])])[0];
  x = ln(x, 'ln_pre');
  for (let l = 0; l < LAYERS; l++) {
    const h = ln(x, `l${l}.ln1`);
    const [q, kk, v] = op('Split', [linear(h, `l${l}.qkv`, WIDTH, 3 * WIDTH)], { axis: -1 }, 3);
    const heads = (t: string, perm: number[]) => op('Transpose', [op('Reshape', [t, 'shape_heads'])[0]], { perm })[0];
    const scores = op('Mul', [op('MatMul', [heads(q, [0, 2, 1, 3]), heads(kk, [0, 2, 3, 1])])[0], 'attn_scale'])[0];
    const ctx = op('MatMul', [op('Softmax', [scores], { axis: -1 })[0], heads(v, [0, 2, 1, 3])])[0];
    const merged = op('Reshape', [op('Transpose', [ctx], { perm: [0, 2, 1, 3] })[0], 'shape_bsd'])[0];
    x = op('Add', [x, linear(merged, `l${l}.out`, WIDTH, WIDTH)])[0];
    const m = linear(ln(x, `l${l}.ln2`), `l${l}.fc1`, WIDTH, MLP);
    const gelu = op('Mul', [m, op('Sigmoid', [op('Mul', [m, 'gelu_k'])[0]])[0]])[0];
    x = op('Add', [x, linear(gelu, `l${l}.fc2`, MLP, WIDTH)])[0];
  }
  const pooled = ln(op('Gather', [x, i64('cls_index', [0])], { axis: 1 })[0], 'ln_post'); // [B,1,768]
  const proj = op('MatMul', [pooled, f32('proj', [WIDTH, PROJ])])[0];
  nodes.push(onnx.NodeProto.create({ opType: 'Reshape', input: [proj, i64('shape_out', [-1, PROJ])], output: ['image_embeds'], name: 'image_embeds' }));

  const io = (name: string, dims: (number | string)[]) => onnx.ValueInfoProto.create({
    name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const graph = onnx.GraphProto.create({
    name: 'bench_vit_b32', node: nodes, initializer: init,
    input: [io('pixel_values', ['batch', 3, 224, 224])], output: [io('image_embeds', ['batch', PROJ])],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'concept-studio bench', graph })).finish();
}

/**
 * A stand-in text tower with the vision tower's embedding size (the studio sizes image
 * embeddings by the text tower's output): token embedding lookup → mean over the sequence.
 */
export function benchTextTower(vocab: number): Uint8Array {
  const emb = rand(vocab * PROJ, 777, 1);
  const graph = onnx.GraphProto.create({
    name: 'bench_text',
    node: [
      onnx.NodeProto.create({ opType: 'Gather', input: ['emb', 'input_ids'], output: ['tok'], name: 'tok' }),
      onnx.NodeProto.create({ opType: 'ReduceMean', input: ['tok'], output: ['text_embeds'], name: 'mean', attribute: [onnx.AttributeProto.create({ name: 'axes', ints: [1], type: onnx.AttributeProto.AttributeType.INTS }), onnx.AttributeProto.create({ name: 'keepdims', i: 0, type: onnx.AttributeProto.AttributeType.INT })] }),
    ],
    initializer: [onnx.TensorProto.create({ name: 'emb', dims: [vocab, PROJ], dataType: FLOAT, rawData: new Uint8Array(emb.buffer) })],
    input: [onnx.ValueInfoProto.create({ name: 'input_ids', type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'seq' }] } } } })],
    output: [onnx.ValueInfoProto.create({ name: 'text_embeds', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: PROJ }] } } } })],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'concept-studio bench', graph })).finish();
}

/** Writes a loadable model folder: the random ViT-B/32 vision tower + a 512-d stand-in text tower on tiny-clip's tokenizer. */
export function writeBenchModel(dir: string, tinyClipDir: string): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tinyClipDir, f), join(dir, f));
  writeBenchTextTower(dir, tinyClipDir);
  const pre = JSON.parse(readFileSync(join(tinyClipDir, 'preprocessor_config.json'), 'utf8'));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ ...pre, size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 } }));
  writeFileSync(join(dir, 'onnx/vision_model.onnx'), vitB32Vision());
  writeFileSync(join(dir, 'onnx/vision_model_quantized.onnx'), vitB32Vision(true));
}

/** (Re)writes the text tower alone: cheap, so an older bench folder (tiny-clip's 16-d text tower) is upgraded in place. */
export function writeBenchTextTower(dir: string, tinyClipDir: string): void {
  const vocab = Object.keys((JSON.parse(readFileSync(join(tinyClipDir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab).length;
  const text = benchTextTower(vocab);
  writeFileSync(join(dir, 'onnx/text_model.onnx'), text);
  writeFileSync(join(dir, 'onnx/text_model_quantized.onnx'), text);
}

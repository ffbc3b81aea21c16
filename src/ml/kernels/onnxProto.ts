/**
 * A minimal ONNX protobuf *writer*: just the messages a small runtime-built graph needs
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
 *
 * Why not onnx-proto: it drags protobufjs (and its eval-based `inquire`) into the browser
 * bundle for ~100 lines of varint writing. Field numbers follow onnx/onnx.proto (IR v8); the
 * test decodes our bytes with onnx-proto to prove they agree.
 */

export const enum DataType {
  FLOAT = 1,
  INT64 = 7,
  DOUBLE = 11,
}

export interface TensorDesc {
  name: string;
  dataType: DataType;
  dims: number[];
  /** Little-endian raw bytes of the values (Float32Array / BigInt64Array views work). */
  raw: ArrayBufferView;
}

export type Attr =
  | { name: string; i: number }
  | { name: string; f: number }
  | { name: string; ints: number[] };

export interface NodeDesc {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

/** Dims: a number is fixed, a string is a symbolic (dynamic) dimension. */
export interface ValueDesc {
  name: string;
  dataType: DataType;
  dims: (number | string)[];
}

export interface GraphDesc {
  name: string;
  nodes: NodeDesc[];
  inputs: ValueDesc[];
  outputs: ValueDesc[];
  initializers: TensorDesc[];
  opset: number;
}

/**
 * Protobuf writer that keeps a list of chunks, so a large initializer (A can be hundreds of MB)
 * is referenced, not copied, while nested messages are assembled; `finish` copies once.
 */
class Writer {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(64);
  private curLen = 0;
  len = 0;

  private flush(): void {
    if (this.curLen > 0) this.chunks.push(this.cur.subarray(0, this.curLen));
    this.cur = new Uint8Array(64);
    this.curLen = 0;
  }

  private byte(b: number): void {
    if (this.curLen === this.cur.length) this.flush();
    this.cur[this.curLen++] = b;
    this.len++;
  }

  private append(data: Uint8Array): void {
    this.flush();
    this.chunks.push(data);
    this.len += data.length;
  }

  varint(v: number): void {
    // Non-negative integers below 2^53 only (all we ever write); no 32-bit bit tricks.
    if (v < 0 || !Number.isSafeInteger(v)) throw new Error(`varint out of range: ${v}`);
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.append(data);
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.byte(x);
  }

  message(field: number, write: (w: Writer) => void): void {
    const w = new Writer();
    write(w);
    w.flush();
    this.tag(field, 2);
    this.varint(w.len);
    this.flush();
    for (const c of w.chunks) this.chunks.push(c); // no spread: a graph can have many chunks
    this.len += w.len;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function writeTensor(w: Writer, t: TensorDesc): void {
  for (const d of t.dims) w.int(1, d); // dims (unpacked repeated int64 is valid proto3 input)
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, new Uint8Array(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength)); // raw_data
}

function writeValueInfo(w: Writer, v: ValueDesc): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.dataType); // elem_type
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeAttr(w: Writer, a: Attr): void {
  w.string(1, a.name);
  if ('i' in a) {
    w.int(3, a.i);
    w.int(20, 2); // AttributeType.INT
  } else if ('f' in a) {
    w.float(2, a.f);
    w.int(20, 1); // FLOAT
  } else {
    for (const v of a.ints) w.int(8, v);
    w.int(20, 7); // INTS
  }
}

function writeNode(w: Writer, n: NodeDesc, index: number): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${index}`);
  w.string(4, n.op);
  for (const a of n.attrs ?? []) w.message(5, (m) => writeAttr(m, a));
}

/** Serialise a graph as an ONNX model (IR version 8, default domain only). */
export function encodeModel(g: GraphDesc): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'concept-tuning-studio'); // producer_name
  w.message(7, (graph) => {
    g.nodes.forEach((n, i) => graph.message(1, (m) => writeNode(m, n, i)));
    graph.string(2, g.name);
    for (const t of g.initializers) graph.message(5, (m) => writeTensor(m, t));
    for (const v of g.inputs) graph.message(11, (m) => writeValueInfo(m, v));
    for (const v of g.outputs) graph.message(12, (m) => writeValueInfo(m, v));
  });
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, g.opset);
  });
  return w.finish();
}

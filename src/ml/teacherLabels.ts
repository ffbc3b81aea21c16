/**
 * The user's ONNX classifier as a teacher from what a user usually has: the .onnx file and a
 * label list (.txt, one class per line, in output order) — or a teacher.json (teacher.ts) when
 * the preprocessing must be exact. With a .txt, the image size is read from the model's input
 * shape (224 when it is symbolic) and images are normalised with the ImageNet mean and std, the
 * torchvision convention most exported classifiers follow; the outputs are taken as logits.
 * Every refusal names both files.
 */
import { createOnnxTeacher, TeacherLoadError, type OnnxTeacher, type TeacherLoadOptions, type TeacherOrt } from './teacher.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Class names from a .txt label list (blank lines and # comments skipped; "index label" or "index: label" lines allowed). */
export function parseLabelList(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.replace(/^\d+\s*[:,\t ]\s*(?=\S)/, ''));
}

/** The model's declared input size [H, W] (null where a side is symbolic); throws if it cannot load. */
async function declaredInputSize(ort: TeacherOrt, bytes: Uint8Array, sessionOptions?: Record<string, unknown>): Promise<[number | null, number | null]> {
  const s = await ort.InferenceSession.create(bytes, sessionOptions);
  try {
    const shape = s.inputMetadata?.[0]?.shape ?? [];
    const side = (v: number | string | undefined) => (typeof v === 'number' && v > 0 ? v : null);
    return [side(shape[2]), side(shape[3])];
  } finally {
    await s.release().catch(() => undefined);
  }
}

/** Load and check the teacher (input shape, output size vs the label list: see createOnnxTeacher). */
export async function loadTeacherWithLabels(
  ort: TeacherOrt,
  model: { name: string; bytes: Uint8Array },
  labels: { name: string; text: string },
  opts: TeacherLoadOptions = {},
): Promise<OnnxTeacher> {
  const both = `${model.name} with ${labels.name}`;
  try {
    if (/\.json$/i.test(labels.name)) return await createOnnxTeacher(ort, model.bytes, labels.text, opts);
    const names = parseLabelList(labels.text);
    if (names.length < 2) throw new TeacherLoadError(`${labels.name} lists ${names.length} class(es); a teacher needs at least 2 (one class name per line, in the model's output order)`);
    let size: [number | null, number | null];
    try {
      size = await declaredInputSize(ort, model.bytes, opts.sessionOptions);
    } catch (e) {
      throw new TeacherLoadError(`onnxruntime cannot load the model: ${(e as Error)?.message ?? e}`);
    }
    const H = size[0] ?? size[1] ?? 224;
    const W = size[1] ?? H;
    const description = {
      name: model.name.replace(/\.onnx$/i, ''),
      labels: names,
      output: { kind: 'logits' },
      preprocessing: { size: { shortest_edge: Math.min(H, W) }, crop_size: { height: H, width: W }, image_mean: IMAGENET_MEAN, image_std: IMAGENET_STD },
    };
    return await createOnnxTeacher(ort, model.bytes, description, opts);
  } catch (e) {
    if (e instanceof TeacherLoadError) throw new TeacherLoadError(`${both}: ${e.message.replace(/^teacher\.json/, labels.name)}`);
    throw e;
  }
}

// @vitest-environment node
// The teacher worker's API with onnxruntime-node and the demo's ONNX teacher: a label list (.txt)
// or teacher.json, output size checked against the labels with a message naming both files, and
// per-file decode errors that leave the batch going.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createTeacherApi } from './teacherApi.ts';
import { loadTeacherWithLabels, parseLabelList } from '../ml/teacherLabels.ts';
import type { TeacherOrt } from '../ml/teacher.ts';
import { decodeImage } from '../data/images/index.ts';

const ROOT = join(import.meta.dirname, '../..');
const model = { name: 'teacher.onnx', bytes: new Uint8Array(readFileSync(join(ROOT, 'models/demo-teacher/teacher.onnx'))) };
const json = { name: 'teacher.json', text: readFileSync(join(ROOT, 'models/demo-teacher/teacher.json'), 'utf8') };
const LABELS = ['ok', 'scratched', 'rusty', 'cracked', 'dented', 'chipped'];
const img = (id: string) => ({ id, bytes: new Uint8Array(readFileSync(join(ROOT, `public/demo/images/${id}`))) });
const api = () => createTeacherApi({
  load: (m, l) => loadTeacherWithLabels(ort as unknown as TeacherOrt, m, l, { sessionOptions: { executionProviders: ['cpu'] } }),
  decode: (b, n) => decodeImage(b, n),
});

describe('ONNX teacher from a model and its labels', () => {
  it('label lists: one name per line, comments and "index label" prefixes dropped', () => {
    expect(parseLabelList('\uFEFF# classes\n0 ok\n1: scratched\n\nrusty  # the shortcut\n')).toEqual(['ok', 'scratched', 'rusty']);
  });

  it('teacher.json and a .txt label list both run; a file that does not decode is reported by name', async () => {
    const a = api();
    const files = [img('holdout-0000.jpg'), { id: 'broken.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]) }, img('holdout-0001.jpg')];
    const r = await a.run(model, json, files);
    expect(r.labels).toEqual(LABELS);
    expect(r.probs.length).toBe(2 * 6);
    for (let i = 0; i < 2; i++) expect(r.probs.subarray(i * 6, i * 6 + 6).reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    expect(r.errors.map((e) => e.id)).toEqual(['broken.jpg']);
    expect(r.errors[0].message).toMatch(/broken\.jpg/);
    expect(r.description).toMatch(/teacher\.onnx \(6 classes, 64×64 input\)/);
    const t = await a.run(model, { name: 'labels.txt', text: LABELS.join('\n') }, [img('holdout-0000.jpg')]);
    expect(t.labels).toEqual(LABELS);
    expect(t.probs.length).toBe(6);
  });

  it('refuses a label list that does not match the model output, naming both files', async () => {
    await expect(api().run(model, { name: 'labels.txt', text: LABELS.slice(0, 5).join('\n') }, [img('holdout-0000.jpg')]))
      .rejects.toThrow('teacher.onnx with labels.txt: the model gives 6 outputs but the label list has 5 labels');
    await expect(api().run(model, { name: 'labels.txt', text: 'only-one' }, []))
      .rejects.toThrow(/labels\.txt lists 1 class\(es\); a teacher needs at least 2/);
    await expect(api().run({ name: 'junk.onnx', bytes: new Uint8Array([1, 2, 3]) }, { name: 'labels.txt', text: 'a\nb' }, []))
      .rejects.toThrow(/^junk\.onnx with labels\.txt: onnxruntime cannot load the model/);
  });
});

/**
 * Domain calibration and the shift simulator need the project's image model: prompt texts and
 * corrupted images are embedded in the embed worker of that model (the demo CLIP's page worker
 * for the demo project), the one "Apply to a folder" and own-image projects use.
 */
import { setPromptEmbedder } from '../state/domain.ts';
import { setShiftEmbedder } from '../state/shift.ts';
import { embedClientFor } from './ownImages.ts';

export function installDomainServices(): void {
  // Prompts are embedded as typed (template "{}"): the user writes the whole sentence.
  setPromptEmbedder((prompts, model) => embedClientFor(model).embedTexts(prompts, ['{}']));
  setShiftEmbedder(async (images, specs, o) => {
    const files = await Promise.all(images.map(async (im) => {
      const r = await fetch(im.url, { signal: o.signal });
      if (!r.ok) throw new Error(`${im.url}: HTTP ${r.status}`);
      return { id: im.id, bytes: new Uint8Array(await r.arrayBuffer()) };
    }));
    return embedClientFor(o.model).embedShifted(files, specs, { grid: o.grid, pad: o.pad }, { signal: o.signal, onProgress: o.onProgress });
  });
}

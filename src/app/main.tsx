import '../workers/zodJitless.ts'; // first: before any zod schema parses (CSP, see the file)
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createStudioStore } from '../state/store.ts';
import { installStore } from '../state/useStudio.ts';
import { makeSyntheticProject } from '../state/demoSynthetic.ts';
import { setEngine } from '../state/engine.ts';
import { startAutosave } from './autosave.ts';
import { MODELS } from '../ml/models.ts';
import { chooseDevice } from '../ml/device.ts';
import { workerEngine } from './engine.ts';
import { setEmbedder } from '../state/applyFolder.ts';
import { DEMO_MODEL, demoEmbedClient, openDemoProject, resumeDemoProject } from './demoProject.ts';
import { setDemoOpener } from '../state/demoStatus.ts';
import { installDomainServices } from './domainServices.ts';
import { embedClientFor, installOwnImages } from './ownImages.ts';

const params = new URLSearchParams(location.search);

async function boot() {
  let save: ((s: ReturnType<typeof store.getState>) => Promise<void>) | null = null;
  const store = createStudioStore({ save: (s) => save?.(s) });
  installStore(store);
  // Autosave: one writer tab per project, quota errors reported (app/autosave.ts).
  const autosave = startAutosave(store);
  save = autosave.save;
  const st = store.getState();
  st.setEnv({
    models: MODELS.filter((m) => !m.hidden).map((m) => ({
      id: m.id, label: m.label, source: m.source, goodFor: m.goodFor, dim: m.dim,
      sizeMB: m.downloadMB.q8 ?? m.downloadMB.fp16 ?? m.downloadMB.fp32 ?? null,
    })),
    modelId: MODELS[0]?.id ?? '',
  });
  if (params.get('engine') !== 'local' && typeof Worker !== 'undefined') {
    setEngine(workerEngine());
    st.setEnv({ engine: 'train worker (core pipeline, off the main thread)' });
  } else st.setEnv({ engine: 'main thread (core pipeline)' });
  // "Apply to a folder": the embed worker starts (and loads the model) only when first used.
  setEmbedder(async (files, o) => {
    // The demo project scores new images with the demo CLIP it was embedded with (one worker per page).
    if (o.model === DEMO_MODEL) return demoEmbedClient().embedFiles(files, { grid: o.grid, pad: o.pad });
    // One worker per model: a project built from your own images scores with the model it was embedded with.
    return embedClientFor(o.model ?? store.getState().env.modelId).embedFiles(files, { grid: o.grid, pad: o.pad });
  });
  installOwnImages(); // "Build project" from your own images: embed + teacher workers
  installDomainServices(); // condition prompts and the shift simulator embed with the project's model
  void chooseDevice().then((d) => store.getState().setEnv({ device: d }), () => undefined);

  // A saved session comes back unless the URL asks for a fresh project: `?synthetic=N` (the
  // synthetic project, for tests and benchmarks) or `?fresh` / `?demo` (the demo project).
  const wantN = Number(params.get('synthetic') || 0);
  let restored = false;
  if (!wantN && !params.has('fresh') && !params.has('demo')) {
    restored = await autosave.restore(params.get('project')).catch(() => false);
    if (restored && store.getState().dataset?.source.kind === 'demo') resumeDemoProject();
  }
  let openDemo = false;
  if (!restored && wantN) {
    // `&concepts=M` sizes the corpus (benchmarks: a refit's cost grows with M).
    const { dataset, ensemble } = makeSyntheticProject({ seed: 7, N: wantN, M: Number(params.get('concepts')) || undefined });
    st.commit({ type: 'load', dataset, ensemble, label: `Load ${dataset.name}` });
  } else if (!restored) openDemo = true;
  // Test and benchmark hook: the store, for reading numbers (not used by the app itself).
  (window as unknown as { __studio: typeof store }).__studio = store;

  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  // First launch: the demo project (real images, concepts, teacher) opens while the studio shows
  // its progress; if it cannot open, the synthetic project keeps the studio usable.
  const fallback = () => {
    if (store.getState().dataset) return;
    const { dataset, ensemble } = makeSyntheticProject({ seed: 7, N: 2000 });
    store.getState().commit({ type: 'load', dataset, ensemble, label: `Load ${dataset.name} (the demo did not open)` });
  };
  setDemoOpener(() => void openDemoProject(store).catch(fallback));
  if (openDemo) void openDemoProject(store).catch(fallback);
}

void boot();

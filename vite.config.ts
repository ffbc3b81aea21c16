import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { serveModels } from './tools/vite/serveModels.ts';

// Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer). Anyone serving
// the built app must send the same two headers (README, "Serving the built app").
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), serveModels(import.meta.dirname)],
  worker: { format: 'es' },
  build: { target: 'esnext' },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation },
});

import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { serveModels } from './tools/vite/serveModels.ts';
import { cspMeta, securityHeaders, teacherOrigins } from './tools/vite/csp.ts';

// Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer); the CSP locks the
// page down (tools/vite/csp.ts). Anyone serving the built app must send the same headers
// (README, "Serving the built app"). Dev gets a looser CSP that HMR can live with.
// TEACHER_ORIGINS (comma/space separated) adds HTTP teachers' origins to connect-src.
const connect = teacherOrigins(process.env.TEACHER_ORIGINS);

export default defineConfig({
  plugins: [react(), serveModels(import.meta.dirname), cspMeta({ connect })],
  worker: { format: 'es' },
  build: { target: 'esnext' },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  server: { headers: securityHeaders({ dev: true, connect }) },
  preview: { headers: securityHeaders({ connect }) },
});

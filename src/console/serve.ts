// GET /console: the web console, a static page (Preact + htm, no build step) that reads /api. Served
// behind the admin access rule like /api/* (spec §6); the page itself holds no data.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC = path.join(here, 'public');

/** Preact + hooks + htm in one ES module of ~13 KB, as the htm package ships it. */
function vendorFile(): string {
  // htm's own entry is dist/htm.js; the standalone Preact build sits beside it in preact/.
  const main = createRequire(import.meta.url).resolve('htm');
  return path.join(path.dirname(main), '..', 'preact', 'standalone.mjs');
}

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(PUBLIC, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(PUBLIC, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: path.join(PUBLIC, 'console.css'), type: 'text/css; charset=utf-8' },
  '/vendor/preact-htm.js': { file: vendorFile(), type: 'text/javascript; charset=utf-8' },
};

// Everything the page loads comes from here; API calls go to the same origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function consolePage(): Router {
  const r = express.Router({ strict: false });
  // Read once: the page is small and does not change while hookflow runs.
  const cache = new Map<string, Buffer>();
  for (const [route, f] of Object.entries(FILES)) cache.set(route, readFileSync(f.file));
  r.get(['/', '/app.js', '/console.css', '/vendor/preact-htm.js'], (req, res) => {
    const f = FILES[req.path] ?? FILES['/']!;
    res.setHeader('Content-Type', f.type);
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.send(cache.get(req.path) ?? cache.get('/'));
  });
  return r;
}

// GET /console: the web console, a static page (Preact + htm, no build step) that reads /api. Served
// behind the admin access rule like /api/* (spec §6); the page itself holds no data.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { adminTokens, CONSOLE_COOKIE, consoleCookieOf } from '../ingress/admin-access.js';

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
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

const LOGIN_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function loginPage(message: string): string {
  const esc = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hookflow console: sign in</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console/console.css"></head>
<body><header><h1>hookflow console</h1></header><main><div class="card"><h2>Sign in</h2>
<p class="muted">HOOKFLOW_ADMIN_TOKEN is set on this hookflow: enter its value. It is kept in a cookie for this site only (HttpOnly, SameSite=Strict).</p>
${esc ? `<div class="note bad">${esc}</div>` : ''}
<form method="post" action="/console/login"><input type="password" name="token" aria-label="admin token" autocomplete="current-password" size="40" autofocus> <button class="act" type="submit">Sign in</button></form>
</div></main></body></html>`;
}

/**
 * Signing in to the console when HOOKFLOW_ADMIN_TOKEN is set: a browser cannot send a Bearer header
 * on navigation, so /console/login takes the token once and sets the console cookie that the admin
 * rule accepts (see adminAccess's consoleCookie). Mounted before the rule; serves no data.
 */
export function consoleLogin(env: Record<string, string | undefined>): Router {
  const r = express.Router();
  const tokens = adminTokens(env);
  if (tokens.length === 0) return r; // loopback rule: nothing to sign in with
  const send = (res: express.Response, status: number, message: string): void => {
    res
      .status(status)
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': LOGIN_CSP, 'Cache-Control': 'no-store' })
      .send(loginPage(message));
  };
  r.get('/login', (_req, res) => send(res, 200, ''));
  r.get('/console.css', (_req, res) => void res.type('text/css').send(readFileSync(FILES['/console.css']!.file)));
  r.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const given = typeof req.body?.token === 'string' ? (req.body.token as string).trim() : '';
    const a = createHash('sha256').update(given).digest();
    const ok = tokens.some((t) => timingSafeEqual(a, createHash('sha256').update(t.token).digest()));
    if (!ok) return send(res, 401, 'That is not the value of HOOKFLOW_ADMIN_TOKEN.');
    const secure = req.secure || req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${CONSOLE_COOKIE}=${encodeURIComponent(given)}; Path=/; HttpOnly; SameSite=Strict${secure}`);
    res.redirect(303, '/console');
  });
  // A browser opening the console without credentials is sent to sign in, not shown a JSON 401.
  r.get('/', (req, res, next) => {
    if (req.headers.authorization === undefined && consoleCookieOf(req) === undefined && (req.headers.accept ?? '').includes('text/html'))
      return res.redirect(303, '/console/login');
    next();
  });
  return r;
}

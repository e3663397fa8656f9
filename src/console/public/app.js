// The hookflow console: Preact components written with htm tagged templates (no build step).
// Everything it shows comes from /api (the request log, /api/console/*); it polls for "live".
import { html, render, useState, useEffect, useCallback } from '/console/vendor/preact-htm.js';

const VERDICTS = ['accepted', 'duplicate', 'no_match', 'rejected', 'handshake'];

async function api(path, opts = {}) {
  const res = await fetch(`/api${path}`, {
    ...opts,
    headers: { 'content-type': 'application/json', 'x-hookflow-console': '1', ...(opts.headers || {}) },
    credentials: 'same-origin',
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { error: { code: 'not_json', message: text.slice(0, 300) } };
  }
  if (!res.ok) {
    const err = new Error(json?.error?.message || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.body = json;
    throw err;
  }
  return json;
}

/** Calls `fn` now and every `ms` while the page is open; `deps` restart it. */
function usePoll(fn, ms, deps) {
  useEffect(() => {
    let live = true;
    let timer;
    const tick = async () => {
      try {
        await fn();
      } finally {
        if (live) timer = setTimeout(tick, ms);
      }
    };
    tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
}

const time = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false }) + '.' + String(ms % 1000).padStart(3, '0');
const ago = (ms) => (ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

function Verdict({ v }) {
  return html`<span class=${`verdict v-${v}`}>${v.replace('_', ' ')}</span>`;
}

function hashRoute() {
  const h = location.hash.replace(/^#\/?/, '');
  const [tab, ...rest] = h.split('/');
  return { tab: tab || 'requests', id: rest.length ? decodeURIComponent(rest.join('/')) : undefined };
}

function App() {
  const [route, setRoute] = useState(hashRoute());
  const [overview, setOverview] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const on = () => setRoute(hashRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  usePoll(
    async () => {
      try {
        setOverview(await api('/console/overview'));
        setError(null);
      } catch (err) {
        setError(err.message);
      }
    },
    5000,
    [],
  );
  const go = (tab, id) => {
    location.hash = id ? `#/${tab}/${encodeURIComponent(id)}` : `#/${tab}`;
  };
  const b = overview?.backlog;
  return html`
    <header>
      <h1>hookflow console</h1>
      ${b && !b.error ? html`<span class="stat" title="deliveries journaled, not yet started in Temporal">backlog <b data-test="backlog">${b.pending}</b> pending${b.pending ? ` (oldest ${ago(b.oldestPendingMs)})` : ''} · <b>${b.failed}</b> refused by Temporal</span>` : null}
      ${b?.error ? html`<span class="stat bad">journal: ${b.error}</span>` : null}
      ${overview && !overview.temporal.ok ? html`<span class="stat">Temporal: <b>${overview.temporal.reason}</b></span>` : null}
      <span class="spacer"></span>
      ${overview?.temporalUiUrl ? html`<a href=${`${overview.temporalUiUrl}/namespaces/${encodeURIComponent(overview.namespace)}/workflows`} target="_blank" rel="noopener">Temporal UI ↗</a>` : null}
    </header>
    <nav>
      ${[
        ['requests', 'Requests'],
        ['sources', 'Sources'],
        ['recipes', `Recipes${overview?.problems?.length ? ' ⚠' : ''}`],
        ...(overview?.outbox ? [['outbox', 'Outbox']] : []),
      ].map(([t, label]) => html`<button class=${route.tab === t ? 'active' : ''} onClick=${() => go(t)}>${label}</button>`)}
    </nav>
    <main>
      ${error ? html`<div class="note bad">${error}</div>` : null}
      ${overview?.warnings?.length ? html`<div class="note warn">${overview.warnings.map((w) => html`<div>⚠ ${w}</div>`)}</div>` : null}
      ${route.tab === 'requests' ? html`<${Requests} selected=${route.id} open=${(id) => go('requests', id)} overview=${overview} />` : null}
      ${route.tab === 'sources' ? html`<${Sources} overview=${overview} go=${go} />` : null}
      ${route.tab === 'recipes' ? html`<${Recipes} overview=${overview} />` : null}
      ${route.tab === 'outbox' ? html`<${Outbox} />` : null}
    </main>
  `;
}

function Requests({ selected, open, overview }) {
  const [source, setSource] = useState('');
  const [verdict, setVerdict] = useState('');
  const [since, setSince] = useState('');
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const load = useCallback(async () => {
    const q = new URLSearchParams({ limit: '100' });
    if (source) q.set('source', source);
    if (verdict) q.set('verdict', verdict);
    if (since) q.set('since', since);
    try {
      setList((await api(`/requests?${q}`)).requests);
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }, [source, verdict, since]);
  usePoll(load, 2000, [load]);
  const sources = [...new Set([...(overview?.sources ?? []).map((s) => s.name), ...(list ?? []).map((r) => r.source)])].sort();
  return html`
    <div class="cols">
      <div class="card">
        <h2>Request log <span class="muted">(live)</span></h2>
        <div class="filters">
          <select aria-label="source" value=${source} onChange=${(e) => setSource(e.target.value)}>
            <option value="">all sources</option>
            ${sources.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
          <select aria-label="verdict" value=${verdict} onChange=${(e) => setVerdict(e.target.value)}>
            <option value="">all verdicts</option>
            ${VERDICTS.map((v) => html`<option value=${v}>${v}</option>`)}
          </select>
          <select aria-label="since" value=${since} onChange=${(e) => setSince(e.target.value)}>
            <option value="">any time</option>
            <option value="15m">last 15 min</option>
            <option value="1h">last hour</option>
            <option value="24h">last day</option>
          </select>
        </div>
        ${error ? html`<div class="note bad">${error}</div>` : null}
        ${list && list.length === 0 ? html`<div class="empty">No requests yet${source || verdict || since ? ' for these filters' : ''}. Send one to a trigger URL, or use "send a test event" under Sources.</div>` : null}
        ${list && list.length > 0
          ? html`<table data-test="requests">
              <thead><tr><th>time</th><th>source</th><th>verdict</th><th>event / reason</th><th>runs</th></tr></thead>
              <tbody>
                ${list.map(
                  (r) => html`<tr class=${`row${r.id === selected ? ' selected' : ''}`} data-request=${r.id} onClick=${() => open(r.id)}>
                    <td class="mono">${time(r.receivedAt)}</td>
                    <td>${r.source}</td>
                    <td><${Verdict} v=${r.verdict} /> <span class="muted">${r.status}</span></td>
                    <td>
                      ${r.event ? html`<span class="mono">${r.event.type}</span> <span class="muted mono">${r.event.id}</span>` : null}
                      ${r.error ? html`<div class="reason">${r.error.code}: ${r.error.message}</div>` : null}
                      ${r.replayOf ? html`<div class="muted">replay of ${r.replayOf}</div>` : null}
                    </td>
                    <td>${r.runs.length || html`<span class="muted">–</span>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : null}
      </div>
      <div>${selected ? html`<${RequestDetail} id=${selected} open=${open} />` : html`<div class="card muted">Select a request to see its headers, body, verdict and runs.</div>`}</div>
    </div>
  `;
}

function RequestDetail({ id, open }) {
  const [d, setD] = useState(null);
  const [error, setError] = useState(null);
  const [replay, setReplay] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setReplay(null), [id]);
  usePoll(
    async () => {
      try {
        setD(await api(`/requests/${encodeURIComponent(id)}`));
        setError(null);
      } catch (err) {
        setError(err.message);
      }
    },
    3000,
    [id],
  );
  const doReplay = async () => {
    setBusy(true);
    try {
      setReplay({ ok: true, ...(await api(`/requests/${encodeURIComponent(id)}/replay`, { method: 'POST', body: '{}' })) });
    } catch (err) {
      setReplay({ ok: false, message: err.message });
    } finally {
      setBusy(false);
    }
  };
  if (error) return html`<div class="card"><div class="note bad">${error}</div></div>`;
  if (!d) return html`<div class="card muted">loading ${id}…</div>`;
  const body = d.body.encoding === 'utf8' ? prettyBody(d.body.data) : `(binary, base64)\n${d.body.data}`;
  return html`
    <div class="card" data-test="detail">
      <h2>${d.method} /hooks/${d.source} <${Verdict} v=${d.verdict} /></h2>
      <table class="kv">
        <tr><td>request</td><td class="mono">${d.id}</td></tr>
        <tr><td>received</td><td>${new Date(d.receivedAt).toLocaleString()}</td></tr>
        <tr><td>answered</td><td>${d.status}</td></tr>
        ${d.event ? html`<tr><td>event</td><td class="mono">${d.event.type} · ${d.event.id}</td></tr>` : null}
        ${d.error ? html`<tr><td>reason</td><td class="reason">${d.error.code}: ${d.error.message}</td></tr>` : null}
        ${d.replayOf ? html`<tr><td>replay of</td><td><a href=${`#/requests/${encodeURIComponent(d.replayOf)}`}>${d.replayOf}</a></td></tr>` : null}
      </table>
      <div class="filters mt">
        <button class="act" data-test="replay" disabled=${busy || !d.event} title=${d.event ? 'run this event through the recipes again (new run ids)' : 'a refused request never became an event'} onClick=${doReplay}>Replay</button>
        ${!d.event ? html`<span class="muted">refused requests cannot be replayed: ask the provider to deliver again</span>` : null}
      </div>
      ${replay?.ok
        ? html`<div class="note" data-test="replayed">Replayed as <a href=${`#/requests/${encodeURIComponent(replay.request)}`} onClick=${() => open(replay.request)}>${replay.request}</a>:
            ${replay.runs.length ? replay.runs.map((r) => html`<div><${RunLink} run=${r} /></div>`) : ' no recipe takes this event now.'}</div>`
        : null}
      ${replay && !replay.ok ? html`<div class="note bad">${replay.message}</div>` : null}
      <h3>Recipes</h3>
      ${d.explanation.length === 0 ? html`<div class="muted">${d.event ? 'no recipe listens to this source' : 'not judged: the request was refused before it became an event'}</div>` : null}
      ${d.explanation.map(
        (e) => html`<div>${e.matched ? html`<span class="ok">✓ ${e.recipe}</span> <span class="muted">matches</span>` : html`<span class="muted">· ${e.recipe}: ${e.reason}</span>`}</div>`,
      )}
      <h3>Runs</h3>
      ${d.runs.length === 0 ? html`<div class="muted">none</div>` : d.runs.map((r) => html`<div><${RunLink} run=${r} /></div>`)}
      <h3>Headers</h3>
      <table class="kv mono">${Object.entries(d.headers).map(([k, v]) => html`<tr><td>${k}</td><td>${v}</td></tr>`)}</table>
      <h3>Body <span class="muted">(${d.bodySize} bytes)</span></h3>
      <pre data-test="body">${body}</pre>
    </div>
  `;
}

function prettyBody(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function RunLink({ run }) {
  const label = html`<span class="mono">${run.workflowId}</span>`;
  return html`<span data-test="run">${run.url ? html`<a href=${run.url} target="_blank" rel="noopener">${label}</a>` : label} <span class="muted">${run.recipe} · ${run.state}${run.duplicate ? ' · duplicate' : ''}${run.error ? ` · ${run.error}` : ''}</span></span>`;
}

function Sources({ overview, go }) {
  if (!overview) return html`<div class="card muted">loading…</div>`;
  return html`
    <div class="card">
      <h2>Sources and trigger URLs</h2>
      <table>
        <thead><tr><th>source</th><th>trigger URL</th><th>secret</th><th>recipes</th></tr></thead>
        <tbody>
          ${overview.sources.map(
            (s) => html`<tr>
              <td><b>${s.name}</b><div class="muted">${s.provider}</div></td>
              <td class="mono">${s.triggerUrl}</td>
              <td>${s.secret === 'set' ? html`<span class="ok">set</span> <span class="muted">(${s.secretFrom})</span>` : s.secret === 'unsigned' ? html`<span class="warn">not signed</span>` : html`<span class="bad">missing: set ${s.secretFrom}</span>`}</td>
              <td>${s.recipes.join(', ') || html`<span class="muted">none</span>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <${TestEvent} sources=${overview.sources} go=${go} />
  `;
}

function TestEvent({ sources, go }) {
  const [name, setName] = useState(sources[0]?.name ?? '');
  const src = sources.find((s) => s.name === name);
  const [body, setBody] = useState('');
  const [headers, setHeaders] = useState('');
  const [out, setOut] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setBody(src?.example?.body ?? '{\n  "type": "test",\n  "id": "test-1"\n}');
    setHeaders(Object.entries(src?.example?.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n'));
    setOut(null);
  }, [name]);
  const send = async () => {
    setBusy(true);
    try {
      const h = {};
      for (const line of headers.split('\n')) {
        const i = line.indexOf(':');
        if (i > 0) h[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      setOut(await api('/console/test-event', { method: 'POST', body: JSON.stringify({ source: name, body, headers: h }) }));
    } catch (err) {
      setOut({ error: err.message });
    } finally {
      setBusy(false);
    }
  };
  return html`
    <div class="card">
      <h2>Send a test event</h2>
      <p class="muted">Signed with the source's secret exactly as the provider would sign it, and POSTed to its trigger URL: it is journaled and judged like any delivery.</p>
      <div class="filters">
        <select aria-label="test source" value=${name} onChange=${(e) => setName(e.target.value)}>${sources.map((s) => html`<option value=${s.name}>${s.name}</option>`)}</select>
      </div>
      <h3>Body</h3>
      <textarea rows="10" aria-label="test body" value=${body} onInput=${(e) => setBody(e.target.value)}></textarea>
      <h3>Extra headers (Name: value, one a line)</h3>
      <textarea rows="2" aria-label="test headers" value=${headers} onInput=${(e) => setHeaders(e.target.value)}></textarea>
      <div class="filters mt"><button class="act" data-test="send-test" disabled=${busy || !name} onClick=${send}>Send test event</button></div>
      ${out?.error ? html`<div class="note bad">${out.error}</div>` : null}
      ${out && !out.error
        ? html`<div class=${`note${out.status >= 400 ? ' bad' : ''}`} data-test="test-result">
            ${out.status} ${out.note ? html`<span class="warn">${out.note}</span>` : null}
            ${out.request ? html` — <a href=${`#/requests/${encodeURIComponent(out.request)}`} onClick=${() => go('requests', out.request)}>open request ${out.request}</a>` : null}
            <pre>${JSON.stringify(out.answer, null, 2)}</pre>
          </div>`
        : null}
    </div>
  `;
}

function Recipes({ overview }) {
  const [tests, setTests] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!overview) return html`<div class="card muted">loading…</div>`;
  const run = async () => {
    setBusy(true);
    try {
      setTests(await api('/console/recipe-tests', { method: 'POST', body: '{}' }));
    } catch (err) {
      setTests({ error: err.message });
    } finally {
      setBusy(false);
    }
  };
  const resultsOf = (name) => (tests?.results ?? []).filter((t) => t.recipe === name);
  return html`
    ${overview.problems.length
      ? html`<div class="card" data-test="problems">
          <h2 class="bad">The recipes folder has problems: the last good set (loaded ${new Date(overview.loadedAt).toLocaleTimeString()}) keeps running</h2>
          ${overview.problems.map((p) => html`<div class="mono bad">${p.text}</div>`)}
        </div>`
      : null}
    <div class="card">
      <h2>Recipes <span class="muted">(${overview.recipes.length} loaded ${new Date(overview.loadedAt).toLocaleTimeString()})</span></h2>
      <div class="filters">
        <button class="act secondary" disabled=${busy} onClick=${run}>Run the recipes' tests</button>
        ${tests && !tests.error ? html`<span class=${tests.failed ? 'bad' : 'ok'}>${tests.passed} passed, ${tests.failed} failed</span>` : null}
        ${tests?.error ? html`<span class="bad">${tests.error}</span>` : null}
      </div>
      <table>
        <thead><tr><th>recipe</th><th>on</th><th>tests</th></tr></thead>
        <tbody>
          ${overview.recipes.map(
            (r) => html`<tr>
              <td><b>${r.name}</b><div class="muted">${r.description}</div></td>
              <td class="mono">${r.source}${r.event ? ` · ${[].concat(r.event).join(', ')}` : ''}</td>
              <td>
                ${r.tests ? `${r.tests}` : html`<span class="muted">none</span>`}
                ${resultsOf(r.name).map((t) => html`<div class=${t.passed ? 'ok' : 'bad'}>${t.passed ? '✓' : '✗'} ${t.test}${t.passed ? '' : html`<pre>${t.diff.join('\n')}</pre>`}</div>`)}
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  `;
}

function Outbox() {
  const [items, setItems] = useState(null);
  usePoll(
    async () => {
      try {
        setItems((await api('/console/outbox')).items);
      } catch {
        setItems([]);
      }
    },
    2000,
    [],
  );
  return html`
    <div class="card">
      <h2>Outbox <span class="muted">(development mode: these were captured, not sent)</span></h2>
      ${items && items.length === 0 ? html`<div class="empty">Nothing captured yet.</div>` : null}
      ${items && items.length > 0
        ? html`<table data-test="outbox">
            <thead><tr><th>time</th><th>kind</th><th>to</th><th>what</th><th>run</th></tr></thead>
            <tbody>
              ${items.map(
                (m) => html`<tr>
                  <td class="mono">${time(m.at)}</td>
                  <td>${m.kind}</td>
                  <td class="mono">${m.to}</td>
                  <td><div>${m.summary}</div><details><summary class="muted">details</summary><pre>${JSON.stringify(m.params, null, 2)}</pre></details></td>
                  <td class="mono">${m.workflowId ?? ''}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : null}
    </div>
  `;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);

import { html, type Html } from './html.js';

export const STYLESHEET_PATH = '/assets/gatehouse.css';

/** The page frame every Gatehouse page shares. */
export function layout(title: string, body: Html, options: { script?: Html } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main class="card">
<p class="brand" aria-hidden="true">Gatehouse</p>
${body}
</main>
${options.script}
</body>
</html>
`.value;
}

export const STYLESHEET = `
:root { color-scheme: light dark; --accent: #2457d6; --muted: #667085; --border: #d0d5dd; --bg: #f5f7fb; --card: #fff; --danger: #b42318; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1320; --card: #171c2c; --border: #2e3548; --muted: #98a2b3; --accent: #7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.card { width: min(420px, calc(100vw - 32px)); background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 32px; box-shadow: 0 8px 24px rgba(16,24,40,.08); }
.brand { margin: 0 0 8px; font-weight: 700; letter-spacing: .02em; color: var(--accent); }
h1 { font-size: 1.4rem; margin: 0 0 16px; }
label { display: block; font-weight: 600; margin: 16px 0 6px; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: 10px 12px; border: 1px solid var(--border); border-radius: 8px; font: inherit; background: transparent; color: inherit; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button { font: inherit; font-weight: 600; padding: 10px 16px; border-radius: 8px; border: 1px solid var(--accent); cursor: pointer; }
.primary { background: var(--accent); color: #fff; width: 100%; margin-top: 24px; }
.secondary { background: transparent; color: var(--accent); width: 100%; margin-top: 8px; }
.error { color: var(--danger); background: color-mix(in srgb, var(--danger) 10%, transparent); padding: 10px 12px; border-radius: 8px; }
.muted { color: var(--muted); font-size: .9rem; }
ul.scopes { padding-left: 20px; } ul.scopes li { margin: 6px 0; }
ul.accounts { list-style: none; padding: 0; } ul.accounts button { text-align: left; }
`;

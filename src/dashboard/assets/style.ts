/** The dashboard's stylesheet, served as /assets/dashboard.css (CSP: style-src 'self'). */
export const STYLE = `
:root { --fg:#1d2430; --muted:#667085; --line:#e4e7ec; --bg:#f7f8fa; --card:#fff; --accent:#2f5bd3;
  --completed:#2e9e5b; --failed:#d64545; --running:#2f7fd3; --retrying:#d99a1c; --pending:#9aa4b2; --cancelled:#5c6370; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; gap:20px; align-items:center; padding:10px 20px; background:#1d2430; color:#fff; }
header.top a { color:#dfe6f5; text-decoration:none; }
header.top a.brand { font-weight:700; color:#fff; }
header.top .right { margin-left:auto; color:#aab4c5; font-size:12px; }
main { padding:16px 20px 40px; max-width:1200px; }
h1 { font-size:20px; margin:4px 0 12px; overflow-wrap:anywhere; }
h2 { font-size:16px; margin:22px 0 8px; } .card > h2:first-child { margin-top:0; }
a { color:var(--accent); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; margin-bottom:14px; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.wrap { overflow-wrap:anywhere; max-width:420px; }
pre { background:#f1f3f6; padding:8px 10px; border-radius:6px; overflow:auto; max-height:360px; white-space:pre-wrap; overflow-wrap:anywhere; margin:4px 0; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; color:#fff; background:var(--pending); }
.badge.completed { background:var(--completed); } .badge.failed { background:var(--failed); }
.badge.running { background:var(--running); } .badge.retrying { background:var(--retrying); }
.badge.cancelled { background:var(--cancelled); } .badge.lost, .badge.interrupted { background:var(--retrying); }
svg .completed { fill:var(--completed); } svg .failed { fill:var(--failed); } svg .running { fill:var(--running); }
svg .waiting { fill:#d5dae1; } svg .track { fill:#eef0f3; }
svg .line-completed { stroke:var(--completed); fill:none; stroke-width:2; }
svg .line-failed { stroke:var(--failed); fill:none; stroke-width:2; }
svg .axis { stroke:var(--line); stroke-width:1; } svg text { fill:var(--muted); font-size:10px; }
svg.bar { display:block; } svg.chart { display:block; height:auto; max-height:160px; }
svg.chart rect.completed { fill:var(--completed); } svg.chart rect.failed { fill:var(--failed); }
.flash { padding:10px 12px; border-radius:6px; margin-bottom:14px; border:1px solid; }
.flash.ok { background:#eaf7ef; border-color:#b7e1c6; } .flash.error { background:#fdeeee; border-color:#f2c0c0; }
.flash.info { background:#eef3fd; border-color:#c3d3f5; }
.filters a { margin-right:10px; } .filters a.current { font-weight:700; color:var(--fg); text-decoration:none; }
form.inline { display:inline; }
button, .button { font:inherit; padding:5px 12px; border-radius:6px; border:1px solid var(--line); background:#fff; cursor:pointer; text-decoration:none; color:var(--fg); display:inline-block; }
button.danger, .button.danger { border-color:#f2c0c0; color:#a12b2b; } button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
button:disabled { opacity:.6; cursor:default; }
input[type=text], input[type=password], input[type=search] { min-width:220px; font:inherit; padding:5px 8px; border:1px solid var(--line); border-radius:6px; }
.actions { display:flex; gap:8px; flex-wrap:wrap; margin:8px 0 14px; }
dl.meta { display:grid; grid-template-columns:160px 1fr; gap:4px 12px; margin:0; } dl.meta dt { color:var(--muted); } dl.meta dd { margin:0; overflow-wrap:anywhere; }
.pager { margin-top:10px; display:flex; gap:14px; }
.legend span { margin-right:12px; font-size:12px; } .legend .dot { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; }
.dot.completed { background:var(--completed); } .dot.failed { background:var(--failed); } .dot.running { background:var(--running); } .dot.waiting { background:#d5dae1; }
`;

"""The class board: the trainees' progress as one HTML page a trainer projects.

It is drawn from the same dict as ``GET /_sandbox/class/progress`` (``classroom.progress``), so the
two cannot disagree; it holds names, ticks and counts, never a token or a join code. The page is
made for a projector at the back of a room: large type, high contrast (WCAG AA at least, light
and dark after ``prefers-color-scheme``), a tick that is also a word for screen readers. It
refreshes itself every 5 seconds with ``<meta http-equiv="refresh">``: no script, so the strict
CSP (``default-src 'none'``) holds, and a browser resends its Basic credentials on each reload.
Every name is HTML-escaped: a trainee called ``<b>x</b>`` is shown as those characters.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..exercise_catalog import BY_NAME

REFRESH_SECONDS = 5
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# Contrast (WCAG 2.1), on the page and on the striped rows: light #111 18.9:1 / 17.3:1, muted #4a4a4a
# 8.9 / 8.1, tick #0a6b2e 6.7 / 6.1, header #fff on #1f3a5f 11.5; dark #f2f2f2 16.7 / 14.8, muted
# #b8b8b8 9.4 / 8.3, tick #5fd38d 10.0 / 8.8, header #fff on #2b4d7a 8.6. All pass AA (4.5:1).
STYLE = """
:root { color-scheme: light dark; --bg: #fff; --fg: #111; --muted: #4a4a4a; --tick: #0a6b2e;
  --head-bg: #1f3a5f; --head-fg: #fff; --line: #c8c8c8; --row: #f3f5f8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #121212; --fg: #f2f2f2; --muted: #b8b8b8; --tick: #5fd38d;
    --head-bg: #2b4d7a; --head-fg: #fff; --line: #444; --row: #1c1f24; }
}
html { background: var(--bg); color: var(--fg); }
body { margin: 0; padding: 1.5rem 2rem; font: 1.6rem/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 2.4rem; margin: 0 0 0.3rem; }
p.summary { font-size: 1.8rem; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 2px solid var(--line); padding: 0.35rem 0.6rem; text-align: center; }
thead th { background: var(--head-bg); color: var(--head-fg); font-size: 1.3rem; vertical-align: bottom; }
tbody tr:nth-child(even) { background: var(--row); }
th.trainee, td.trainee { text-align: left; font-weight: 600; overflow-wrap: break-word; min-width: 10ch; }
td.tick { color: var(--tick); font-size: 2.2rem; font-weight: 700; line-height: 1; }
td.open { color: var(--muted); font-size: 2.2rem; line-height: 1; }
td.state, .muted { color: var(--muted); }
td.state { white-space: nowrap; }
tfoot td, tfoot th { font-weight: 700; font-size: 1.8rem; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
"""


def _title(name: str) -> str:
    exercise = BY_NAME.get(name)
    return exercise.title if exercise is not None else name


def _cell(state: dict[str, Any]) -> str:
    if state["passed"]:
        when = escape(state["passedAt"] or "")
        return f'<td class="tick" title="passed at {when}">✓<span class="sr"> passed</span></td>'
    tried = f"{state['checks']} checks, not passed yet" if state["checks"] else "not checked yet"
    return f'<td class="open" title="{tried}">·<span class="sr"> {tried}</span></td>'


def render_board(progress: dict[str, Any]) -> str:
    """The board's HTML for a progress dict (as ``classroom.progress`` returns it)."""
    exercises: list[str] = progress["exercises"]
    trainees: list[dict[str, Any]] = progress["trainees"]
    joined = sum(1 for trainee in trainees if trainee["joined"])
    heads = "".join(
        f'<th scope="col">{index}. {escape(_title(name))}</th>' for index, name in enumerate(exercises, start=1)
    )
    rows = []
    for trainee in trainees:
        cells = "".join(_cell(trainee["exercises"][name]) for name in exercises)
        done = sum(1 for name in exercises if trainee["exercises"][name]["passed"])
        state = "joined" if trainee["joined"] else "not joined"
        rows.append(
            f'<tr><th scope="row" class="trainee">{escape(trainee["trainee"])}</th>'
            f'<td class="state">{state}</td>{cells}<td>{done}/{len(exercises)}</td></tr>'
        )
    counts = "".join(
        f"<td>{sum(1 for trainee in trainees if trainee['exercises'][name]['passed'])}</td>" for name in exercises
    )
    if trainees:
        summary = f"{joined} of {len(trainees)} trainees joined"
        body = (
            f'<table><thead><tr><th scope="col" class="trainee">Trainee</th><th scope="col">Joined</th>{heads}'
            f'<th scope="col">Done</th></tr></thead><tbody>{"".join(rows)}</tbody>'
            f'<tfoot><tr><th scope="row" class="trainee">Passed</th><td>{joined}</td>{counts}<td></td></tr></tfoot>'
            "</table>"
        )
    else:
        summary = "No trainees yet"
        body = '<p class="muted">Start a class with <code>zen-nb class start --trainees 30</code>.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Class progress</title><style>{STYLE}</style></head>"
        f'<body><h1>Class progress</h1><p class="summary">{summary} · refreshes every {REFRESH_SECONDS} s</p>'
        f"{body}</body></html>\n"
    )

"""The browsable course site under build/: an index page linking each executed chapter."""

from __future__ import annotations

import html
from pathlib import Path

from .notebooks import ROOT, read_notebook


def _title(path: Path) -> str:
    try:
        nb = read_notebook(path)
    except Exception:
        return path.stem
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def write_site(results, out_dir: Path, fast: bool) -> Path:
    """Write build/index.html: the course map with links and the timing table."""
    out_dir = Path(out_dir)
    rows = []
    for r in results:
        src = ROOT / r.notebook
        link = Path(r.html).relative_to(out_dir) if r.html else None
        name = html.escape(_title(src))
        cell = f'<a href="{html.escape(str(link))}">{name}</a>' if link else name
        rows.append(f"<tr><td>{html.escape(r.notebook)}</td><td>{cell}</td>"
                    f"<td style='text-align:right'>{r.seconds:.1f}</td><td>{'ok' if r.ok else 'FAILED'}</td></tr>")
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>From Hopfield networks to attention</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.2em .8em}}</style>
</head><body><h1>From Hopfield networks to attention</h1>
<p>Executed in {'FAST' if fast else 'FULL'} mode. Each link opens the rendered notebook with its figures.</p>
<table><tr><th>notebook</th><th>title</th><th>seconds</th><th>status</th></tr>
{''.join(rows)}</table></body></html>
"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index

"""What `course grade` writes, as results come in.

* ``results.jsonl``: one line per submission, appended the moment it is graded (a crash of the grader
  loses nothing graded before it);
* ``gradebook.csv``: student, points per exercise, total, max, status; rewritten after every submission;
* ``roster.csv``: student, points per exercise, total, max (no status): imports into an LMS gradebook;
* ``results.json``: the grader's version, start time, the limits, and every submission (start time,
  duration, isolation used, per-exercise verdicts), written at the end;
* ``feedback/<student>.txt`` and ``feedback/<student>.html``: each exercise's verdict and hint.

Every cell of the CSV files that starts with ``= + - @`` (or a tab/CR) is prefixed with ``'`` so a
spreadsheet does not run it as a formula; the HTML is escaped.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["Reporter", "csv_safe", "feedback_text", "feedback_html", "summary"]


def csv_safe(value) -> str:
    """A CSV cell a spreadsheet will not evaluate."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _safe_name(student: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", student)[:100].lstrip(".")
    return name or "student"


class Reporter:
    """Writes the reports of one grading run into ``out``."""

    def __init__(self, out: Path, plan, settings, version: str):
        self.out, self.plan, self.settings, self.version = Path(out), plan, settings, version
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "feedback").mkdir(exist_ok=True)
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.results: list = []
        self.jsonl = self.out / "results.jsonl"
        self.jsonl.write_text("", encoding="utf-8")
        self._names: dict[str, str] = {}

    def feedback_name(self, student: str) -> str:
        """A file name per student, unique even when two names sanitize alike."""
        if student not in self._names:
            base, n = _safe_name(student), 1
            name = base
            while name in self._names.values():
                n += 1
                name = f"{base}-{n}"
            self._names[student] = name
        return self._names[student]

    def add(self, r) -> None:
        self.results.append(r)
        with open(self.jsonl, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(r.to_dict(), sort_keys=True) + "\n")
        name = self.feedback_name(r.student)
        (self.out / "feedback" / f"{name}.txt").write_text(feedback_text(r), encoding="utf-8")
        (self.out / "feedback" / f"{name}.html").write_text(feedback_html(r), encoding="utf-8")
        self._write_csvs(sorted(self.results, key=lambda x: x.file))

    def _write_csvs(self, results: list) -> None:
        names = self.plan.names
        for filename, with_status in (("gradebook.csv", True), ("roster.csv", False)):
            tmp = self.out / (filename + ".tmp")
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["student", *names, "total", "max"] + (["status"] if with_status else []))
                for r in results:
                    points = {e.name: e.points for e in r.exercises}
                    row = [csv_safe(r.student), *[f"{points.get(n, 0):g}" for n in names], f"{r.total:g}",
                           f"{r.max_points:g}"]
                    writer.writerow(row + ([csv_safe(r.status)] if with_status else []))
            os.replace(tmp, self.out / filename)

    def finish(self, ordered: list) -> None:
        self._write_csvs(ordered)
        from .sandbox import capabilities

        payload = {
            "grader_version": self.version,
            "chapter": self.plan.chapter,
            "started": self.started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "limits": {k: v for k, v in asdict(self.settings).items() if k != "root"},
            "machine": asdict(capabilities()),
            "submissions": [r.to_dict() for r in ordered],
        }
        (self.out / "results.json").write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n",
                                               encoding="utf-8")


def feedback_text(r) -> str:
    lines = [f"{r.student} ({r.file}): {r.total:g} / {r.max_points:g} points"]
    if r.status != "ok":
        lines.append(f"The submission could not be graded: {r.status}: {r.message}")
    for e in r.exercises:
        score = f" ({e.passed}/{e.total} cases)" if e.total else ""
        lines.append(f"- {e.name}: {e.status}{score}, {e.points:g} / {e.max_points:g}")
        lines.extend("    " + line for line in e.feedback.strip().splitlines() if line)
    return "\n".join(lines) + "\n"


def feedback_html(r) -> str:
    esc = html.escape
    rows = []
    for e in r.exercises:
        score = f"{e.passed}/{e.total}" if e.total else ""
        hints = "".join(f"<li>{esc(line)}</li>" for line in e.feedback.strip().splitlines() if line)
        rows.append(f"<tr class='{esc(e.status)}'><td>{esc(e.name)}</td><td>{esc(e.status)}</td><td>{score}</td>"
                    f"<td>{e.points:g} / {e.max_points:g}</td><td><ul>{hints}</ul></td></tr>")
    problem = (f"<p class='problem'>The submission could not be graded: {esc(r.status)}: {esc(r.message)}</p>"
               if r.status != "ok" else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: {esc(r.student)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;
vertical-align:top}}tr.passed td:nth-child(2){{color:#17692d}}tr.failed td:nth-child(2),.problem{{color:#a3261b}}
ul{{margin:0;padding-left:1.1rem}}</style></head>
<body><h1>{esc(r.student)}: {r.total:g} / {r.max_points:g} points</h1>
<p>File: {esc(r.file)}</p>{problem}
<table><thead><tr><th>exercise</th><th>verdict</th><th>cases</th><th>points</th><th>feedback</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></body></html>
"""


def summary(results: list) -> str:
    """A few lines for the instructor's terminal: statuses and mean points (never kernel output)."""
    if not results:
        return "no submissions found"
    statuses = Counter(r.status for r in results)
    ex_status = Counter(e.status for r in results for e in r.exercises)
    lines = [f"graded {len(results)} submissions: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
             "exercise statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(ex_status.items())),
             "mean points per exercise:"]
    for i, e in enumerate(results[0].exercises):
        mean = sum(r.exercises[i].points for r in results) / len(results)
        lines.append(f"  {e.name:<24} {mean:5.2f} / {e.max_points:g}")
    mean_total = sum(r.total for r in results) / len(results)
    lines.append(f"  {'total':<24} {mean_total:5.2f} / {results[0].max_points:g}")
    return "\n".join(lines)

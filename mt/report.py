"""Self-contained HTML reports: one file, no network, no external assets.

Arabic is shown right-to-left beside the English, one row per pair, scores color-coded, flags with their
reasons, filtering and sorting in a few lines of inline JavaScript, charts as inline SVG. Every piece of text
that comes from the input or a model goes through `html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.35em .5em;vertical-align:top;text-align:left;overflow-wrap:anywhere}
th{background:#f4f4f4;position:sticky;top:0;cursor:pointer;user-select:none}
td.ar{font-size:1.1em;font-family:"Noto Naskh Arabic","Amiri","Arial",sans-serif;text-align:start;width:38%;
min-width:16em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.id{white-space:nowrap;font-variant-numeric:tabular-nums;color:#444;font-size:.9em}
td.en{min-width:14em}td.flags{min-width:10em}
.flag{display:inline-block;background:#fde2e1;color:#8a1c14;border-radius:3px;padding:0 .3em;margin:.1em;
font-size:.8em}
.reason{display:block;color:#666;font-size:.8em}
.controls{margin:.8em 0;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
.meta{color:#555;font-size:.9em}
.hidden{display:none}
svg text{font:11px system-ui,sans-serif;fill:#333}
pre{white-space:pre-wrap;font-size:.85em;color:#444}
"""

SCRIPT = """
(function(){
  const table = document.getElementById('pairs');
  const body = table.tBodies[0];
  const text = document.getElementById('filter-text');
  const minq = document.getElementById('filter-quality');
  const minqOut = document.getElementById('filter-quality-value');
  const flagged = document.getElementById('filter-flagged');
  const count = document.getElementById('shown');
  // what the filter searches: the row's text and id as shown and NFKC-normalised (presentation forms ﺑﺴﻢ ﷲ
  // are found as بسم الله)
  const haystack = new Map();
  for (const row of body.rows){
    const shown = (row.textContent + ' ' + (row.dataset.id || '')).toLowerCase();
    haystack.set(row, shown + ' ' + shown.normalize('NFKC'));
  }
  function apply(){
    const needle = text.value.trim().toLowerCase().normalize('NFKC');
    const q = parseFloat(minq.value);
    minqOut.textContent = q.toFixed(2);
    let shown = 0;
    for (const row of body.rows){
      const quality = parseFloat(row.dataset.quality);
      const ok = (!needle || haystack.get(row).includes(needle))
        && (isNaN(quality) ? q <= 0 : quality >= q)
        && (!flagged.checked || row.dataset.flags !== '');
      row.classList.toggle('hidden', !ok);
      if (ok) shown++;
    }
    count.textContent = shown;
  }
  [text, minq, flagged].forEach(el => el.addEventListener('input', apply));
  for (const th of table.tHead.rows[0].cells){
    if (!th.dataset.key) continue;
    th.addEventListener('click', () => {
      const key = th.dataset.key, numeric = th.dataset.type === 'num';
      const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      for (const other of table.tHead.rows[0].cells) delete other.dataset.dir;
      th.dataset.dir = dir;
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        let x = a.dataset[key], y = b.dataset[key];
        if (numeric){ x = parseFloat(x); y = parseFloat(y);
          if (isNaN(x)) x = -Infinity; if (isNaN(y)) y = -Infinity; }
        return (x < y ? -1 : x > y ? 1 : 0) * (dir === 'asc' ? 1 : -1);
      });
      rows.forEach(r => body.appendChild(r));
    });
  }
  apply();
})();
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _is_arabic_letter(ch: str) -> bool:
    return "\u0600" <= ch <= "\u08ff" or "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff"


def source_cell(text: str) -> str:
    """The source text's cell: right-to-left Arabic when most of its letters are Arabic, otherwise (a `not_arabic`
    segment) in the direction of its own text."""
    letters = [ch for ch in text if ch.isalpha()]
    arabic = sum(_is_arabic_letter(ch) for ch in letters)
    attrs = 'dir="rtl" lang="ar"' if not letters or 2 * arabic >= len(letters) else 'dir="auto"'
    return f'<td class="ar" {attrs}>{esc(text)}</td>'


def quality_color(q: float | None) -> str:
    """Red (0) through yellow to green (1); grey when there is no score."""
    if q is None:
        return "#eee"
    hue = max(0.0, min(1.0, q)) * 120
    return f"hsl({hue:.0f},70%,85%)"


def _number(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def histogram_svg(values: Iterable[float], title: str, bins: int = 10, lo: float = 0.0, hi: float = 1.0,
                  width: int = 360, height: int = 150) -> str:
    """A bar chart of how `values` fall into `bins` equal bins over [lo, hi]."""
    counts = [0] * bins
    for v in values:
        k = min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins))) if hi > lo else 0
        counts[k] += 1
    top = max(counts) or 1
    bar_w = (width - 40) / bins
    bars = []
    for k, c in enumerate(counts):
        h = (height - 40) * c / top
        x = 30 + k * bar_w
        centre = lo + (k + 0.5) * (hi - lo) / bins
        bars.append(f'<rect class="bar" x="{x:.1f}" y="{height - 20 - h:.1f}" width="{bar_w - 2:.1f}" '
                    f'height="{h:.1f}" fill="{quality_color(centre)}" stroke="#888"><title>'
                    f'{esc(f"{lo + k * (hi - lo) / bins:.1f}–{lo + (k + 1) * (hi - lo) / bins:.1f}: {c}")}'
                    "</title></rect>")
    axis = (f'<line x1="30" y1="{height - 20}" x2="{width - 10}" y2="{height - 20}" stroke="#333"/>'
            f'<text x="30" y="{height - 5}">{lo:g}</text><text x="{width - 20}" y="{height - 5}">{hi:g}</text>'
            f'<text x="2" y="{20}">{top}</text>')
    return (f'<svg class="chart" role="img" aria-label="{esc(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><text x="30" y="12">{esc(title)}</text>{axis}{"".join(bars)}</svg>')


CHAR_PX = 7.5  # the widest average advance of an 11px system-ui character (digits, capitals): label room


def bar_chart_svg(items: Sequence[tuple[str, float]], title: str, unit: str, bar_width: int = 230) -> str:
    """Horizontal bars, one per (label, value); the labels are never cut: the chart grows to hold the longest
    one and the values beside the bars."""
    height = 30 + 24 * len(items)
    top = max((v for _, v in items), default=0) or 1
    left = 12 + CHAR_PX * max((len(label) for label, _ in items), default=0)
    values = [f"{value:.2f}" for _, value in items]
    width = left + bar_width + 8 + CHAR_PX * max(map(len, values), default=0)
    rows = []
    for k, ((label, value), shown) in enumerate(zip(items, values)):
        y = 24 + k * 24
        w = bar_width * value / top
        rows.append(f'<text class="label" x="4" y="{y + 14}">{esc(label)}</text>'
                    f'<rect class="bar" x="{left:.1f}" y="{y}" width="{w:.1f}" height="18" fill="#7aa6d8">'
                    f"<title>{esc(f'{label}: {value:.2f} {unit}')}</title></rect>"
                    f'<text class="value" x="{left + w + 4:.1f}" y="{y + 14}">{shown}</text>')
    return (f'<svg class="chart" role="img" aria-label="{esc(title)}" width="{width:.0f}" height="{height}" '
            f'viewBox="0 0 {width:.0f} {height}"><text x="4" y="12">{esc(title)} ({esc(unit)})</text>'
            f'{"".join(rows)}</svg>')


ID_CHARS = 28  # longer ids (URLs, paths) are shown shortened in the middle; the full id is on hover


def _id_cell(pair_id: str) -> str:
    """The id, shortened in the middle when long (its end holds the sentence index), in full as a tooltip."""
    short = pair_id if len(pair_id) <= ID_CHARS else f"{pair_id[:12]}…{pair_id[-(ID_CHARS - 13):]}"
    return f'<td class="id" title="{esc(pair_id)}">{esc(short)}</td>'


def _flags_html(flags: Sequence[str], reasons: Sequence[str]) -> str:
    return "".join(f'<span class="flag" title="{esc(r)}">{esc(f)}</span><span class="reason">{esc(r)}</span>'
                   for f, r in zip(flags, reasons))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _controls(total: int, of: int | None = None) -> str:
    """The filters and the count of rows shown; `of`: the run's pairs, when the page holds only the first `total`."""
    held = f" (this page holds the first {total:,} of {of:,} pairs; all are in pairs.jsonl)" if (of or 0) > total \
        else ""
    return (
        '<div class="controls">'
        '<label>Filter <input id="filter-text" type="search" placeholder="text or flag"></label>'
        '<label>Quality ≥ <input id="filter-quality" type="range" min="0" max="1" step="0.05" value="0">'
        ' <output id="filter-quality-value">0.00</output></label>'
        '<label><input id="filter-flagged" type="checkbox"> flagged only</label>'
        f'<span><span id="shown">{total}</span> of {total} pairs shown{held}; click a column to sort</span></div>'
    )


def run_report(pairs: Sequence[dict[str, Any]], manifest: dict[str, Any],
               qualities: Iterable[float] | None = None) -> str:
    """The report of one run: summary, quality chart and one row per pair of `pairs`; `qualities`: those of all
    the run's pairs, when `pairs` are only the first of them (the summary and the chart are of all)."""
    if qualities is None:
        qualities = [p["quality"] for p in pairs if p.get("quality") is not None]
    counts = manifest.get("counts", {})
    reference = manifest.get("reference") or {}
    corpus = reference.get("corpus") or {}
    scores = "".join(f"<li>{esc(name)} {esc(v['score'])} <code>{esc(v['signature'])}</code></li>"
                     for name, v in corpus.items())
    summary = (
        f"<h1>{esc(manifest.get('run', 'mt run'))}</h1>"
        f'<p class="meta">model <code>{esc(manifest.get("model", {}).get("id"))}</code> · '
        f"{counts.get('pairs', len(pairs))} pairs from {counts.get('documents', '?')} document(s) · "
        f"{counts.get('flagged', 0)} flagged · mean quality {esc(counts.get('mean_quality'))}</p>"
        f'<p class="meta">signature <code>{esc(manifest.get("signature"))}</code></p>'
        + (f"<h2>Against the reference</h2><ul>{scores}</ul>" if scores else "")
        + histogram_svg(qualities, "quality of the pairs")
    )
    has_ref = any(p.get("ref") for p in pairs)
    head = (
        '<thead><tr><th data-key="order" data-type="num" class="num">#</th>'
        '<th data-key="quality" data-type="num" class="num">quality</th>'
        '<th data-key="score" data-type="num" class="num">log-prob</th>'
        '<th>Arabic</th><th>English</th>' + ("<th>Reference</th>" if has_ref else "")
        + '<th data-key="flags">flags</th></tr></thead>'
    )
    rows = []
    for k, p in enumerate(pairs):
        q = p.get("quality")
        rows.append(
            f'<tr data-order="{k}" data-quality="{esc(_number(q, 4))}" data-score="{esc(_number(p.get("score"), 4))}"'
            f' data-flags="{esc(",".join(p.get("flags", [])))}" data-id="{esc(p["id"])}" id="{esc(p["id"])}">'
            + _id_cell(p["id"]) +
            f'<td class="num" style="background:{quality_color(q)}">{_number(q)}</td>'
            f'<td class="num">{_number(p.get("score"))}</td>'
            + source_cell(p["ar"]) +
            f'<td class="en" lang="en">{esc(p["en"])}</td>'
            + (f'<td class="ref" lang="en">{esc(p.get("ref"))}</td>' if has_ref else "")
            + f'<td class="flags">{_flags_html(p.get("flags", []), p.get("reasons", []))}</td></tr>'
        )
    table = f'<table id="pairs">{head}<tbody>{"".join(rows)}</tbody></table>'
    return _page(f"mt report: {manifest.get('run', '')}", summary + _controls(len(pairs), counts.get("pairs")) + table)


def _metric_cell(result: dict[str, Any]) -> str:
    p = result.get("p_value")
    return (f'<td class="num">{esc(_number(result["score"], 2))} ± {esc(_number(result["ci"], 2))}'
            + (f' <span class="meta">p={esc(_number(p, 4))}</span>' if p is not None else "") + "</td>")


def compare_report(table: dict[str, Any], side_by_side: Sequence[dict[str, Any]]) -> str:
    """The report of a comparison: the table, speed and quality charts, and the systems side by side."""
    systems = [row["system"] for row in table["systems"]]
    metric_names = [m for m in ("bleu", "chrf", "chrf++", "ter") if table.get("reference")]
    head_cells = "".join(f'<th class="num">{esc(m)}</th>' for m in metric_names)
    body_rows = []
    for row in table["systems"]:
        metrics = "".join(_metric_cell(row["metrics"][m]) for m in metric_names)
        body_rows.append(
            f'<tr><td>{esc(row["system"])}</td>{metrics}'
            f'<td class="num" style="background:{quality_color(row["mean_quality"])}">{_number(row["mean_quality"])}'
            f'</td><td class="num">{row["flagged"]}</td><td class="num">{_number(row["segments_per_s"], 2)}</td>'
            f'<td class="num">{_number(row["tokens_per_s"], 1)}</td><td class="num">{_number(row["peak_rss_mb"], 0)}'
            f'</td><td class="num">{_number(row["model_size_mb"], 2)}</td></tr>')
    systems_table = (
        f'<table id="systems"><thead><tr><th>system</th>{head_cells}<th class="num">mean quality</th>'
        '<th class="num">flagged</th><th class="num">segments/s</th><th class="num">tokens/s</th>'
        '<th class="num">peak MB</th><th class="num">model MB</th></tr></thead>'
        f'<tbody>{"".join(body_rows)}</tbody></table>'
    )
    charts = bar_chart_svg([(r["system"], r["segments_per_s"] or 0.0) for r in table["systems"]],
                           "speed", "segments/s")
    charts += "".join(histogram_svg([s["systems"][name]["quality"] for s in side_by_side
                                     if s["systems"].get(name, {}).get("quality") is not None],
                                    f"quality: {name}") for name in systems)
    agreement = ""
    if table.get("agreement"):
        names = "".join(f"<th>{esc(n)}</th>" for n in systems)
        matrix = "".join(
            f"<tr><th>{esc(a)}</th>" + "".join(f'<td class="num">{_number(table["agreement"][a].get(b), 1)}</td>'
                                               for b in systems) + "</tr>" for a in systems)
        agreement = (f'<h2>Agreement (chrF of row against column)</h2><table id="agreement"><tr><th></th>{names}'
                     f"</tr>{matrix}</table>")
    head = ('<thead><tr><th data-key="order" data-type="num" class="num">#</th><th>Arabic</th>'
            + "".join(f'<th data-key="q{k}" data-type="num">{esc(n)}</th>' for k, n in enumerate(systems))
            + ('<th>Reference</th>' if any(s.get("ref") for s in side_by_side) else "")
            + '<th data-key="quality" data-type="num" class="num">mean quality</th></tr></thead>')
    seg_rows: list[str] = []
    for k, seg in enumerate(side_by_side):
        cells: list[str] = []
        data: list[str] = []
        qs: list[float] = []
        for j, name in enumerate(systems):
            out = seg["systems"].get(name, {})
            q = out.get("quality")
            if q is not None:
                qs.append(q)
            data.append(f'data-q{j}="{esc(_number(q, 4))}"')
            cells.append(f'<td class="en" lang="en" style="border-left:4px solid {quality_color(q)}">'
                         f'{esc(out.get("en"))}'
                         f'<span class="reason">quality {_number(q)}</span>'
                         f'{_flags_html(out.get("flags", []), out.get("reasons", []))}</td>')
        mean = sum(qs) / len(qs) if qs else None
        flags = ",".join(f for name in systems for f in seg["systems"].get(name, {}).get("flags", []))
        ref = f'<td lang="en">{esc(seg.get("ref"))}</td>' if any(s.get("ref") for s in side_by_side) else ""
        seg_rows.append(f'<tr data-order="{k}" data-quality="{esc(_number(mean, 4))}" data-flags="{esc(flags)}" '
                    f'data-id="{esc(seg["id"])}" {" ".join(data)}>{_id_cell(seg["id"])}'
                    f'{source_cell(seg["ar"])}{"".join(cells)}{ref}'
                    f'<td class="num">{_number(mean)}</td></tr>')
    pairs_table = f'<table id="pairs">{head}<tbody>{"".join(seg_rows)}</tbody></table>'
    signatures = "".join(f"<li>{esc(m)}: <code>{esc(sig)}</code></li>"
                         for m, sig in (table.get("signatures") or {}).items())
    body = (f"<h1>Comparison: {esc(table['name'])}</h1>"
            f'<p class="meta">{len(systems)} systems · {len(side_by_side)} segments · baseline '
            f"<code>{esc(systems[0])}</code>" + (f" · reference <code>{esc(table['reference'])}</code>"
                                                if table.get("reference") else " · no reference") + "</p>"
            + systems_table + (f"<ul class=\"meta\">{signatures}</ul>" if signatures else "")
            + f"<h2>Charts</h2>{charts}{agreement}<h2>Side by side</h2>" + _controls(len(side_by_side))
            + pairs_table)
    return _page(f"mt comparison: {table['name']}", body)

"""Reading a value out of a table chunk: the cell where the row and the column the question
names meet, and the difference or sum of two such cells when the question asks for one.

Table chunks carry markdown in `chunk.text` (caption lines, then `| a | b |` rows); the header
row names the columns, the other cells of a row name the row.

>>> from unirag.rag.generation.intent import intent
>>> md = "Table 1: Capacity\\n| site | capacity (kWh) | unit |\\n|---|---|---|\\n| Oslo | 12.5 | kWh |\\n| Rome | 9.1 | kWh |"
>>> best_cell(intent("What capacity does the Rome site have?"), md).value
'9.1 kWh'
>>> best_pair(intent("How much more capacity does Oslo have than Rome?"), md).value
'3.4'
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from unirag.rag.generation.intent import Intent, names_numbers, term_matches, with_parts
from unirag.rag.text import tokenize

_NUM = re.compile(r"^[~≈<>±+\-−]?\s*\d[\d,]*(?:\.\d+)?(?:\s*[×x]\s*10\s*\^?\s*[−-]?\d+|[eE][−-]?\d+|[−-]\d+)?"
                  r"\s*(?:%|[a-zA-Zµμ°Ω/·²³]{0,6})?\*?$")
_FLOAT = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_UNIT_HEADER = re.compile(r"(?:^|\s)(?:units?|单位)$", re.I)  # under a title row spanning the table too
MIN_CELL_MATCH = 1.0  # question terms (weighted) the row and the column must name together, at least
CROSSED_BONUS = 1.0  # match-score bonus of a cell whose row and column the question both names (minus when only the row)
MAX_HEADER_ROWS = 4  # leading rows without numbers read as column labels, at most
NO_VALUE = frozenset("-–—")  # a cell holding only one of these is an empty value, not a label


@dataclass(frozen=True)
class Cell:
    """An extracted value, the row it was read from (as shown to the user) and how well the row
    and column labels match the question (sum of matched term weights)."""

    value: str
    row: str
    score: float


def grid(markdown: str) -> list[list[str]]:
    """The table's rows as lists of cells; separator rows dropped."""
    rows = []
    for line in markdown.splitlines():
        line = line.strip()
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def is_number(cell: str) -> bool:
    return bool(_NUM.match(cell.replace("**", "").strip()))


def _weights(it: Intent) -> dict[str, float]:
    return {t: it.weight(t) for t in it.terms}


def _matched(it: Intent, text: str) -> frozenset[str]:
    """The question terms a label names; an initialism in the label ("lr") names the words it
    abbreviates ("learning rate")."""
    toks = with_parts(set(tokenize(text)))
    found = {t for t in it.terms if term_matches(t, toks)}
    words = [t for t in it.terms if t.isalpha() and t.isascii()]
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            if "".join(w[0] for w in words[i:i + n]) in toks:
                found.update(words[i:i + n])
    return frozenset(found)


def _unit_column(header: list[str]) -> int | None:
    return next((j for j, h in enumerate(header) if _UNIT_HEADER.search(h.strip())), None)


def _is_data(row: list[str]) -> bool:
    """A row of values: numbers, or the dashes datasheets print where a MIN. or MAX. has none."""
    cells = [c for c in row[1:] if c]
    n = sum(is_number(c) or c in NO_VALUE for c in cells)
    return n >= 2 or (n >= 1 and n >= len(cells) / 2)


def _split(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Column labels (header rows joined per column, spanning labels filled rightwards) and
    the body rows."""
    n = next((i for i, r in enumerate(rows[:MAX_HEADER_ROWS + 1]) if i and _is_data(r)), 1)
    width = max(len(r) for r in rows)
    labels = [""] * width
    for r, row in enumerate(rows[:n]):
        last = ""
        for j in range(width):
            cell = row[j] if j < len(row) else ""
            if not cell and r < n - 1 and j > 0:
                cell = last  # a spanning header such as "ATM" over two columns
            last = cell
            labels[j] = f"{labels[j]} {cell}".strip()
    return labels, rows[n:]


def _label_columns(body: list[list[str]]) -> set[int]:
    """Columns that name rows: the first, and any whose cells are mostly not numbers."""
    width = max(len(r) for r in body)
    keys = {0}
    for j in range(1, width):
        cells = [r[j] for r in body if j < len(r) and r[j]]
        if cells and sum(not is_number(c) for c in cells) > len(cells) / 2:
            keys.add(j)
    return keys


@dataclass(frozen=True)
class _Slot:
    """A body cell with the question terms its row and its column name."""

    i: int
    j: int
    value: str
    row_terms: frozenset[str]
    col_terms: frozenset[str]
    shown: str


def _slots(it: Intent, markdown: str) -> list[_Slot]:
    rows = grid(markdown)
    if len(rows) < 2:
        return []
    labels, body = _split(rows)
    caption = " ".join(ln for ln in markdown.splitlines() if not ln.strip().startswith("|"))
    unit_col = _unit_column(labels)
    keys = _label_columns(body) - {unit_col}
    out = []
    for i, row in enumerate(body):
        shown = " | ".join(c for c in row if c)
        for j, cell in enumerate(row):
            if not cell or j == unit_col:
                continue
            label = " ".join(c for k, c in enumerate(row) if k != j and k in keys)
            value = cell.replace("**", "").strip()
            if unit_col is not None and unit_col < len(row) and row[unit_col] and is_number(value):
                value = f"{value} {row[unit_col]}"
            col = labels[j] if j < len(labels) else ""
            if not names_numbers(it, f"{caption} {label} {col}"):
                continue  # the row/column is for another condition than the one asked about
            out.append(_Slot(i, j, value, _matched(it, label), _matched(it, col), f"{col or '-'}: {shown}"))
    return out


def _w(it: Intent, terms: frozenset[str]) -> float:
    weights = _weights(it)
    return sum(weights[t] for t in terms)


def _caption_score(it: Intent, markdown: str) -> float:
    """Half the weight of the question terms the table's caption names (picks the right table)."""
    caption = " ".join(ln for ln in markdown.splitlines() if not ln.strip().startswith("|"))
    return 0.5 * _w(it, _matched(it, caption))


def best_cell(it: Intent, markdown: str) -> Cell | None:
    """The value cell whose row label and column header together match the question best; a
    cell without a matching column header is discounted."""
    best = None
    bonus = _caption_score(it, markdown)
    for s in _slots(it, markdown):
        own = set(tokenize(s.value))
        if not s.row_terms or (own and own <= set(it.terms)):
            continue  # no row named, or the cell only repeats the question: a label, not the answer
        score = _w(it, s.row_terms | s.col_terms) + (0.5 if is_number(s.value) else 0.0)
        score += CROSSED_BONUS if s.col_terms else -CROSSED_BONUS
        score += bonus
        if score >= MIN_CELL_MATCH and (best is None or score > best.score):
            best = Cell(s.value, s.shown, score)
    return best


def number(cell: str) -> float | None:
    m = _FLOAT.search(cell.replace("−", "-"))
    return float(m.group(0).replace(",", "")) if m else None


def _decimals(cell: str) -> int:
    m = _FLOAT.search(cell)
    return len(m.group(0).split(".")[1]) if m and "." in m.group(0) else 0


def _unit(cell: str) -> str:
    return _FLOAT.sub("", cell).strip().lower()


def _combine(it: Intent, a: _Slot, b: _Slot, score: float) -> Cell | None:
    x, y = number(a.value), number(b.value)
    if x is None or y is None or _unit(a.value) != _unit(b.value):
        return None
    digits = max(_decimals(a.value), _decimals(b.value))
    if it.kind == "sum":
        value = f"{x + y:.{digits}f}"
        expr = f"{a.value} + {b.value}"
    else:
        hi, lo = (a, b) if x >= y else (b, a)
        value = f"{abs(x - y):.{digits}f}"
        expr = f"{hi.value} − {lo.value}"
    return Cell(value, f"{expr} = {value} ({a.shown}; {b.shown})", score)


def best_pair(it: Intent, markdown: str) -> Cell | None:
    """For difference/sum questions: two numeric cells sharing a column (rows naming different
    question terms) or a row (columns naming different terms); the result shows both operands."""
    slots = [s for s in _slots(it, markdown) if is_number(s.value)]
    bonus = _caption_score(it, markdown)
    best = None
    for n, a in enumerate(slots):
        for b in slots[n + 1:]:
            if a.j == b.j and a.col_terms and a.row_terms and b.row_terms and a.row_terms ^ b.row_terms \
                    and not (a.row_terms <= b.row_terms or b.row_terms <= a.row_terms):
                score = _w(it, a.col_terms | a.row_terms | b.row_terms)
            elif a.i == b.i and a.row_terms and a.col_terms and b.col_terms \
                    and not (a.col_terms <= b.col_terms or b.col_terms <= a.col_terms):
                score = _w(it, a.row_terms | a.col_terms | b.col_terms)
            else:
                continue
            if best is None or score + bonus > best.score:
                best = _combine(it, a, b, score + bonus) or best
    return best


def best_mean(it: Intent, markdown: str) -> Cell | None:
    """For "average over these rows" questions: the mean of the numeric cells of one column
    whose rows each name a question term no other row names (at least two rows); the result
    shows the operands."""
    by_col: dict[int, list[_Slot]] = {}
    for s in _slots(it, markdown):
        if is_number(s.value) and s.col_terms and s.row_terms:
            by_col.setdefault(s.j, []).append(s)
    best = None
    for slots in by_col.values():
        own = [s for s in slots if s.row_terms - frozenset().union(*(o.row_terms for o in slots if o is not s))]
        parsed = [number(s.value) for s in own]
        values = [v for v in parsed if v is not None]
        if len(own) < 2 or len(values) < len(parsed):
            continue
        score = _w(it, own[0].col_terms | frozenset().union(*(s.row_terms for s in own)))
        if best is None or score > best.score:
            digits = max(_decimals(s.value) for s in own)
            value = f"{sum(values) / len(values):.{digits}f}"
            expr = " + ".join(s.value for s in own)
            best = Cell(value, f"({expr}) / {len(own)} = {value} ({'; '.join(s.shown for s in own)})", score)
    return best

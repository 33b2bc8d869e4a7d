"""Arabic sentence segmentation with character offsets and sub-splitting for the model (its text is
normalised in mt.text.normalize). Pure Python: importing this module never imports torch."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

from mt.records import Segment
from mt.text.arabic import TATWEEL, without_marks

TERMINALS = ".!?؟…۔‼⁇⁈⁉"
# Closing quotes and brackets that stay with the sentence they close. The straight quote `"` is handled
# by parity (it closes when a quote is open, or when whitespace or the line end follows it: a quote opened on
# an earlier line); `'` only when whitespace or the line end follows.
CLOSERS = "»”’)]}›"
OPENERS = "«“‘([{‹"
QUOTES = "\"'«»“”‘’‹›"
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u061c"
CONTINUATION = "،,؛;:"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}{TATWEEL}]")
_TERMINAL_RUN = re.compile(f"[{re.escape(TERMINALS)}]+")
# Spans whose dots and question marks never end a sentence.
_PROTECTED = re.compile(
    r"(?:https?|ftp)://[^\s\"'»”<>]+"
    r"|www\.[^\s\"'»”<>]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|edu|gov|int|mil|info|biz|io|co|tv|me|ru|uk|fr|de"
    r"|sa|ae|eg|qa|kw|bh|om|jo|lb|sy|iq|ma|dz|tn|ly|sd|ps|ye|tr|ir|us|cn|jp|in|news|online)\b",
    re.ASCII | re.IGNORECASE,
)
_FOOTNOTE = re.compile(r"[(\[][\s\d٠-٩*]*[)\]][\s\u200b-\u200f]*$")
_MAYBE_PROTECTED = re.compile(r"[A-Za-z0-9-]\.[A-Za-z]|@|://", re.ASCII)
# Latin abbreviations that are not sentence ends (titles, Latin short forms) and ones that may be.
_LATIN_STRONG = frozenset(
    "mr mrs ms dr prof st mt gen col lt sgt capt cpt maj adm sen rep gov pres jr sr vs e.g i.e cf al "
    "vol pp fig approx dept est ft sq op ed eds".split()
)
_LATIN_WEAK = frozenset(
    "inc ltd co corp llc plc bros etc jan feb mar apr jun jul aug sep sept oct nov dec ave".split()
)
# Arabic abbreviations that are often but not always sentence-final.
_ARABIC_WEAK = frozenset(["إلخ", "الخ", "اهـ", "اه"])
# Words that typically open an Arabic news sentence: evidence that a weak abbreviation ended one, and
# the only words the glued-sentence repair will split before.
_REPORTING = (
    "قال قالت أضاف أضافت أكد أكدت أشار أشارت أوضح أوضحت تابع تابعت ذكر ذكرت أعلن أعلنت اعتبر اعتبرت "
    "شدد شددت لفت لفتت نقل نقلت رجح رجحت نفى نفت أفاد أفادت صرح صرحت كشف كشفت"
).split()
SENTENCE_OPENERS = frozenset(
    [f"و{w}" for w in _REPORTING]
    + [f"ف{w}" for w in _REPORTING]
    + "وكان وكانت وقد ولكن لكن كما وفي ويذكر يذكر ويشار يشار وتجدر تجدر وأوضح وبحسب وحسب وفقا ووفقا".split()
)
# Words a sentence cannot end with (prepositions, conjunctions, relative pronouns, particles): a terminal after
# one of them is not a sentence end (``روي في. واد``: Roe v. Wade), unless it closes an acronym (``سي إن إن.``).
FUNCTION_WORDS = frozenset(
    "في من على إلى الى عن مع أو أم ثم أن إن لأن لكن بل التي الذي الذين اللذين اللتين اللواتي اللذان حتى لدى عند "
    "ضد خلال منذ كي لكي لن لم قد سوف".split()
)
# Latin letters as Arabic spells them (``دي آر.`` = Dr., ``جيه. كيه.``): initials more often than sentence ends.
LETTER_NAMES = frozenset(
    "إيه ايه أيه بي سي دي إي اي إف اف جي إتش اتش آي أي جيه كيه إل ال إم ام إن ان أو او كيو آر ار إس اس تي يو في دبليو "
    "إكس اكس واي زد زي".split()
)
_NEVER_LAST = FUNCTION_WORDS | LETTER_NAMES
# Letter names that are also everyday words a sentence ends with (``امسكت بي.``: caught me; ``خاص بي.``: mine):
# alone after an ordinary word they end a sentence like any word.
LETTER_NAMES_AS_WORDS = frozenset(["بي"])
# Words that carry a sentence on after an ellipsis or a question mark: ``تفعله... في الواقع``, ``الطاقة؟ أو``;
# أنّ and its forms open no sentence (``شيء واحد .. أني كنت سأموت``).
CONTINUES_AFTER_PAUSE = frozenset(
    "أو أم في من على إلى الى عن مع بل ثم أن أنه أنها أني أننا أنهم أنك أنكم بأن".split()
)
CONTINUES_AFTER_QUESTION = frozenset("أو أم".split())
# A bare reporting verb right after a closed quotation attributes it (``"... الأفراد." حسبما أفاد السيد ألبنس.``),
# unless it reports more speech (``"..." قال فليك إن مكتبه ...``).
ATTRIBUTION = frozenset(
    _REPORTING + "تساءل تساءلت سأل سألت حسبما بحسب وفق يقول تقول يضيف تضيف".split()
)
_REPORTED_SPEECH = re.compile(r"(?:^|\s)(?:[وف]?(?:إن|أن|بأن)\S{0,3})(?=\s|$)|[:\"«“]")
_NON_JOINING = "اأإآٱدذرزوؤةى"
_GLUED_RE = re.compile(
    r"(?<=[\u0621-\u064a]{2}[" + _NON_JOINING + r"])(?=[وف](?:" + "|".join(_REPORTING) + r")(?![\u0621-\u064a]))"
)
_WORD_AFTER = re.compile(r"[^\s" + re.escape(TERMINALS + CONTINUATION + '"') + r"]+")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def split_sentences(text: str, repair_glued: bool = False) -> list[Segment]:
    """Split `text` into sentences; `text[s.start:s.end] == s.text` for every segment.

    Line breaks are hard boundaries. With `repair_glued`, a sentence glued to the next without space or
    punctuation (``صبراوقالت``) is split where the evidence is strong; such segments are flagged
    `glued_split`, and without the repair the segment holding the suspect is flagged `glued_suspect`.
    """
    spans = [(ls + a, ls + b) for ls, le in _lines(text) for a, b in _sentence_spans(text[ls:le])]
    labels = _speaker_labels(text, spans)
    if labels:
        spans = [cut for span in spans for cut in _cut_at_labels(text, span, labels)]
    return [seg for start, end in spans for seg in _glued(text, start, end, repair_glued)]


_LABEL = re.compile(r"([^\s:،,؛.!?؟…\"«»()\d]{2,24}(?: [^\s:،,؛.!?؟…\"«»()\d]{2,24})?):\s")


_NAME_COLON = re.compile(r"(?<!\S)([^\W\d_]{2,24}):\s")


def _speaker_labels(text: str, spans: list[tuple[int, int]]) -> frozenset[str]:
    """Speaker labels of a transcript (``ناتاليا: ...``): a name of one or two words and a colon that opens at
    least two sentences of the text. A sentence that ends without punctuation before one is then cut there."""
    if text.count(":") < 2:
        return frozenset()
    seen: dict[str, int] = {}
    for start, _ in spans:
        m = _LABEL.match(text, start)
        if m and not any(w in SENTENCE_OPENERS or w in _REPORTING for w in m.group(1).split()):
            seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    labels = {label for label, n in seen.items() if n >= 2}
    if labels:  # a transcript: a name before a colon twice or more anywhere is a speaker too (كريس: ...), and so
        # is a two-word name that opened a sentence once (كريم سعيد: ...), never its last word alone (سعيد)
        pairs = {label for label in seen if " " in label}
        names: dict[str, int] = {}
        for m in _NAME_COLON.finditer(text):
            name = _label_before(text, m.end(1), 0, pairs) or m.group(1)
            names[name] = names.get(name, 0) + 1
        labels |= {name for name, n in names.items() if n >= 2 and name not in SENTENCE_OPENERS | ATTRIBUTION}
    return frozenset(labels)


def _label_before(text: str, colon: int, start: int, labels: set[str] | frozenset[str]) -> str | None:
    """The longest label that ends at `colon` and starts a word at or after `start`: ``كريم سعيد``, not its
    last word ``سعيد``, when both are labels."""
    found = [label for label in labels if start <= colon - len(label) and text.startswith(label, colon - len(label))
             and (colon - len(label) == start or text[colon - len(label) - 1].isspace())]
    return max(found, key=len, default=None)


def _cut_at_labels(text: str, span: tuple[int, int], labels: frozenset[str]) -> Iterator[tuple[int, int]]:
    start, end = span
    colon = text.find(":", start, end)
    while colon >= 0:
        label = _label_before(text, colon, start, labels)
        if label is not None and colon - len(label) > start:
            piece = _strip_span(text, start, colon - len(label))
            if piece:
                yield piece
                start = colon - len(label)
        colon = text.find(":", colon + 1, end)
    yield start, end


def iter_sentences(text: str, repair_glued: bool = False) -> Iterator[str]:
    """The sentence texts of `text`, in order."""
    return (s.text for s in split_sentences(text, repair_glued))


def _lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for m in _LINE_BREAK.finditer(text):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def _strip_span(line: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (line[start].isspace() or line[start] in INVISIBLE):
        start += 1
    while end > start and (line[end - 1].isspace() or line[end - 1] in INVISIBLE):
        end -= 1
    return (start, end) if start < end else None


def _sentence_spans(line: str) -> Iterator[tuple[int, int]]:
    protected = [m.span() for m in _PROTECTED.finditer(line)] if _MAYBE_PROTECTED.search(line) else []
    start = 0
    for m in _TERMINAL_RUN.finditer(line):
        a, b = m.span()
        if any(p0 <= a < p1 - 1 for p0, p1 in protected):
            continue
        end = _extend_closers(line, b, start)
        if end <= start:
            continue
        if _is_boundary(line, start, a, b, end):
            span = _strip_span(line, start, end)
            if span:
                yield span
            start = end
    span = _strip_span(line, start, len(line))
    if span:
        yield span


def _extend_closers(line: str, pos: int, sent_start: int = 0) -> int:
    """Move past what follows a sentence end and still belongs to it: closing quotes and brackets, invisible
    marks, and a terminal after a closed quote (``"مطاردة هيلاري.".``)."""
    n = len(line)
    while pos < n:
        ch = line[pos]
        if ch in CLOSERS or ch in INVISIBLE:
            pos += 1
        elif ch == '"' and (line.count('"', 0, pos) % 2 == 1 or _quotes_end_here(line, pos)):
            pos += 1  # an open quote closes; so does one before a space (a quote opened on an earlier line)
        elif ch in QUOTES and _quotes_end_here(line, pos):
            pos += 1  # ``'`` or a misused opening quote between the terminal and a space
        elif ch in TERMINALS:
            pos += 1
        else:
            break
    return _spaced_closing_quote(line, pos, sent_start)


def _spaced_closing_quote(line: str, pos: int, sent_start: int) -> int:
    """Past a straight quote set off by spaces that closes a quotation opened in the same sentence
    (``"لا تصدر صوتا! " "لا``, ``السؤال " ماذا تريد؟ "``): it ends that sentence, not opens the next one."""
    k = pos
    while k < len(line) and line[k] in " \t\u00a0":
        k += 1
    if k == pos or k >= len(line) or line[k] != '"' or line.count('"', 0, k) % 2 == 0:
        return pos
    if line.count('"', sent_start, k) % 2 == 0:  # the open quote began in an earlier sentence: ambiguous
        return pos
    if k + 1 < len(line) and not line[k + 1].isspace():
        return pos
    return k + 1


def _quotes_end_here(line: str, pos: int) -> bool:
    """Whether the run of quotes, closers and invisible marks at `pos` is followed by a space, a terminal or the
    line end."""
    n = len(line)
    while pos < n and (line[pos] in QUOTES or line[pos] in CLOSERS or line[pos] in INVISIBLE):
        pos += 1
    return pos == n or line[pos].isspace() or line[pos] in TERMINALS


def _next_visible(line: str, pos: int) -> tuple[int, bool]:
    """Index of the next visible non-space character at or after `pos`, and whether space came first."""
    spaced = False
    while pos < len(line) and (line[pos].isspace() or line[pos] in INVISIBLE):
        spaced = spaced or line[pos].isspace()
        pos += 1
    return pos, spaced


def _token_before(line: str, sent_start: int, a: int) -> tuple[str, int]:
    """The word that ends at `a`, without quotes, brackets or invisible marks, and where it starts."""
    i = a
    while i > sent_start and not line[i - 1].isspace():
        i -= 1
    token = _INVISIBLE_RE.sub("", line[i:a])
    return token.strip("\"'" + OPENERS + CLOSERS), i


def _word_after(line: str, k: int) -> str:
    """The word at `k`, without leading quotes, invisible marks, tatweel or diacritics (``وفقًا`` reads ``وفقا``)."""
    word = _WORD_AFTER.match(line, k)
    return without_marks(_INVISIBLE_RE.sub("", word.group())).lstrip(OPENERS + "'") if word else ""


def _reports_speech(line: str, k: int) -> bool:
    """Whether the clause from `k` to the next terminal reports speech of its own (إن, أن, a colon, a quote)."""
    m = _TERMINAL_RUN.search(line, k)
    return _REPORTED_SPEECH.search(line, k, m.start() if m else len(line)) is not None


def _skip_space_back(line: str, pos: int) -> int:
    while pos > 0 and line[pos - 1].isspace():
        pos -= 1
    return pos


def _letter_run(line: str, sent_start: int, token: str, token_start: int) -> int:
    """How many spelled Latin letters (``بي بي سي``) end with `token`."""
    count = 0
    while token in LETTER_NAMES:
        count += 1
        j = token_start
        while j > sent_start and line[j - 1].isspace():
            j -= 1
        if j <= sent_start:
            break
        token, token_start = _token_before(line, sent_start, j)
    return count


def _is_boundary(line: str, sent_start: int, a: int, b: int, end: int) -> bool:
    """Whether the terminal run `line[a:b]`, extended to `end` by closers, ends a sentence."""
    run = line[a:b]
    k, spaced = _next_visible(line, end)
    if k >= len(line):
        return True
    nxt = line[k]
    if nxt in CONTINUATION:
        return False
    if _FOOTNOTE.match(line, k):
        return False  # a footnote mark ends the line: أيضاً. ()
    following = _word_after(line, k)
    if following in ATTRIBUTION and any(c in QUOTES for c in line[b:end]) and not _reports_speech(line, k):
        return False  # "... الأفراد." حسبما أفاد السيد ألبنس.
    token, token_start = _token_before(line, sent_start, a)
    dots = set(run) <= {".", "…"}
    # the word the sentence would end with, also before a free-standing terminal (ذهبت إلى .. لا أذكر)
    last, last_start = (token, token_start) if token else _token_before(line, sent_start, _skip_space_back(line, a))
    if dots and last in _NEVER_LAST:
        letters = _letter_run(line, sent_start, last, last_start)
        if letters >= 3 or letters == 1 and last in LETTER_NAMES_AS_WORDS:
            pass  # an acronym (بي بي سي.) or an everyday word (امسكت بي.)
        elif letters == 0 or last in FUNCTION_WORDS and letters == 1:
            return False  # no sentence ends with في, من, التي: روي في. واد
        else:
            return following in SENTENCE_OPENERS  # initials: دي آر. بوبو
    if run != ".":
        if dots:  # an ellipsis: a pause inside the sentence more often than its end
            words = len(line[sent_start:a].split())
            if run == "..":  # a full stop typed twice, also set off by spaces: متأخرين .. لم يكن
                pause = (not spaced and end == b) or words <= 1
            else:
                pause = (not spaced and end == b) or (a > 0 and line[a - 1].isspace()) or words <= 2
            if pause:
                return following in SENTENCE_OPENERS  # glued, free-standing, or a pause: طويلا...ثم, وأنا... لا
            return following not in CONTINUES_AFTER_PAUSE
        if any(c in "?؟!" for c in run):
            return following not in CONTINUES_AFTER_QUESTION
        return True
    prev = token[-1:] if token else ""
    if not spaced and end == b:
        if prev.isdigit() and nxt.isdigit():
            return False  # 3.5, 12.08.2014
        if nxt.isdigit():
            return False
        if _is_latin(prev) and _is_latin(nxt) and (nxt.islower() or len(token) < 2):
            return False  # file.txt, rt.com
    if _is_latin(nxt) and nxt.islower():
        return False  # approx. three
    kind = _abbreviation_kind(line, sent_start, token_start, a, token)
    if kind == "strong":
        return len(token) == 1 and _is_latin(token) and following in SENTENCE_OPENERS  # لحرف u. وذكرت
    if kind == "weak":
        return following in SENTENCE_OPENERS or (_is_latin(nxt) and nxt.isupper())
    return True


def _is_latin(ch: str) -> bool:
    return bool(ch) and ch.isascii() and ch.isalpha()


def _abbreviation_kind(line: str, sent_start: int, token_start: int, a: int, token: str) -> str | None:
    if not token:
        return None
    core = token
    lower = core.lower()
    before = line[sent_start:token_start].strip()
    if token.isdigit() and len(token) <= 3 and not before:
        return "strong"  # "1." opening a numbered line
    if re.fullmatch(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}", core):
        return "strong"  # U.S., أ.د., و.م.أ, Ph.D
    if len(core) == 1 and core.isalpha():
        if before[-1:].isdigit():
            return "weak"  # 2012 م. / 1435 هـ.
        return "strong"  # initials and titles: J. K., د. محمد, م. أحمد
    if lower in _LATIN_STRONG or (lower in ("no", "nos", "art") and _next_is_digit(line, a + 1)):
        return "strong"
    if lower in _LATIN_WEAK or core in _ARABIC_WEAK:
        return "weak"
    return None


def _next_is_digit(line: str, pos: int) -> bool:
    k, _ = _next_visible(line, pos)
    return k < len(line) and line[k].isdigit()


def _glued(line: str, start: int, end: int, repair: bool) -> Iterator[Segment]:
    """Split (or flag) a sentence span at glued sentence boundaries."""
    cuts = [m.start() for m in _GLUED_RE.finditer(line, start, end) if start < m.start() < end]
    if not cuts:
        yield Segment(line[start:end], start, end)
        return
    if not repair:
        yield Segment(line[start:end], start, end, ("glued_suspect",))
        return
    bounds = [start, *cuts, end]
    for s, e in zip(bounds, bounds[1:]):
        yield Segment(line[s:e], s, e, ("glued_split",))


# --- sub-splitting for the model ---------------------------------------------------------------------

_PAIRS = {"(": ")", "[": "]", "{": "}", "«": "»", "“": "”"}


def _depths(text: str) -> list[int]:
    """Nesting depth in brackets and quotes at each position."""
    depth, quote, out = 0, False, []
    closing = set(_PAIRS.values())
    for ch in text:
        if ch in _PAIRS:
            depth += 1
        elif ch in closing and depth > 0:
            depth -= 1
        elif ch == '"':
            quote = not quote
        out.append(depth + (1 if quote else 0))
    return out


def _cut_candidates(text: str) -> list[list[int]]:
    """Cut positions (where the second piece starts) by safety: ؛, then ، before و/ف, then any ،,
    then any space outside quotes, then any space."""
    depth = _depths(text)
    classes: list[list[int]] = [[], [], [], [], []]
    for i, ch in enumerate(text[:-1]):
        nxt = text[i + 1]
        if ch.isspace() and not nxt.isspace():
            classes[3 if depth[i] == 0 else 4].append(i + 1)
            continue
        if depth[i] != 0 or ch not in "؛;،,":
            continue
        j = i + 1
        while j < len(text) and text[j].isspace():
            j += 1
        if j == i + 1 or j >= len(text):
            continue
        if ch in "؛;":
            classes[0].append(j)
        elif text[j] in "وف":
            classes[1].append(j)
        else:
            classes[2].append(j)
    return classes


def sub_split(text: str, max_tokens: int, count_tokens: Callable[[str], int], min_share: float = 0.2
              ) -> list[tuple[int, int]]:
    """Cut `text` into pieces of at most `max_tokens` tokens each, at the safest points.

    Returns `(start, end)` spans into `text`, in order, covering all of it but the whitespace between
    pieces. Pieces shorter than `min_share` of the part being cut are avoided when a better cut exists;
    a text with no usable cut is split between characters as a last resort, never truncated.
    """
    span = _strip_span(text, 0, len(text))
    if span is None:
        return []
    return _sub_split(text, span[0], span[1], max_tokens, count_tokens, min_share)


def _sub_split(text: str, start: int, end: int, max_tokens: int, count: Callable[[str], int],
               min_share: float) -> list[tuple[int, int]]:
    piece = text[start:end]
    if end - start <= 1 or count(piece) <= max_tokens:
        return [(start, end)]
    cut = _best_cut(piece, min_share)
    left = _strip_span(text, start, start + cut)
    right = _strip_span(text, start + cut, end)
    spans: list[tuple[int, int]] = []
    for part in (left, right):
        if part:
            spans.extend(_sub_split(text, part[0], part[1], max_tokens, count, min_share))
    return spans


def _best_cut(piece: str, min_share: float) -> int:
    n = len(piece)
    middle = n / 2
    floor = max(1, int(n * min_share))
    for cands in _cut_candidates(piece):
        fair = [c for c in cands if floor <= c <= n - floor]
        if fair:
            return min(fair, key=lambda c: abs(c - middle))
    cut = n // 2
    while 0 < cut < n - 1 and unicodedata.combining(piece[cut]):
        cut += 1
    return cut

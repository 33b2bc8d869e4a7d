"""English references for a run: finding them, aligning them with the pairs, scoring against them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mt.align import align
from mt.errors import InputError
from mt.io import read_text, reference_candidates
from mt.quality import sentence_reference_scores
from mt.records import Document, Pair
from mt.segment import split_sentences

if TYPE_CHECKING:
    from mt.sources import Source


def sidecar(source: Path) -> Path:
    """`name.en.txt` beside `name.ar.txt` or `name.txt` (or `name.EN.TXT`, the one that exists; see
    `mt.io.reference_candidates`)."""
    candidates = reference_candidates(source)
    return next((p for p in candidates if p.is_file()), candidates[0])


def read_reference(reference: str | Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The text of a `--reference` file, read as the input is (`encoding`, `errors`); a missing or empty one is
    an error naming it."""
    path = Path(reference)
    if not path.is_file():
        raise InputError(f"reference '{path}' is not a file")
    text = read_text(path, encoding, errors)
    if not text.strip():
        raise InputError(f"reference '{path}' is empty: it has no English sentences to score against; give the "
                         "English version of the input, or leave --reference out")
    return text


def check_reference(reference: str | Path, source: Source) -> None:
    """A `--reference` goes with a single input document and holds text: checked before any model loads."""
    if source.kind != "txt":
        raise InputError(f"--reference needs a single input document; the {source.kind} corpus '{source.path}' "
                         "holds many, and its rows take no reference: leave --reference out (references go with "
                         ".txt articles, as NAME.en.txt beside NAME.txt)")
    if len(source.txt_files()) != 1:
        raise InputError(f"--reference needs a single input document; for the folder '{source.path}' put "
                         "each reference beside its article as name.en.txt")
    read_reference(reference, source.encoding, source.errors)


def find_references(docs: list[Document], reference: str | Path | None, encoding: str = "utf-8",
                    errors: str = "strict") -> dict[str, tuple[str, str]]:
    """doc_id → (reference path, reference text): `reference` for a single input document (`check_reference`
    made sure there is one), else the sidecar files beside the documents that have one; read as the input is
    (`encoding`, `errors`)."""
    if reference is not None:
        return {docs[0].doc_id: (str(reference), read_reference(reference, encoding, errors))}
    found = {}
    for doc in docs:
        path = sidecar(Path(doc.source))
        if path.is_file():
            found[doc.doc_id] = (str(path), read_text(path, encoding, errors))
    return found


def reference_sentences(text: str) -> list[str]:
    return [seg.text for seg in split_sentences(text)]


def attach_references(pairs: list[Pair], references: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Align each document's pairs with its reference sentences; give every pair its reference sentence(s) and
    sentence scores; return the alignment counts and the aligned hypothesis/reference texts, from which the
    manifest's corpus scores are computed (`mt.quality.corpus_reference_scores`)."""
    by_doc: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_doc.setdefault(pair.doc_id, []).append(pair)
    hyps, refs = [], []
    counts = {"documents": 0, "sentences": 0, "beads": 0, "pairs_without_reference": 0,
              "reference_sentences_unaligned": 0}
    for doc_id, (_path, text) in sorted(references.items()):
        doc_pairs = by_doc.get(doc_id, [])
        sentences = reference_sentences(text)
        counts["documents"] += 1
        counts["sentences"] += len(sentences)
        beads = align([p.ar for p in doc_pairs], sentences, [p.en for p in doc_pairs])
        for bead in beads:
            if not bead.tgt:
                for i in bead.src:
                    doc_pairs[i].flag("no_reference", "no reference sentence aligned with this pair")
                counts["pairs_without_reference"] += len(bead.src)
                continue
            if not bead.src:
                counts["reference_sentences_unaligned"] += len(bead.tgt)
                continue
            counts["beads"] += 1
            group = [doc_pairs[i] for i in bead.src]
            hyp = " ".join(p.en for p in group if p.en)
            ref = " ".join(sentences[j] for j in bead.tgt)
            hyps.append(hyp)
            refs.append(ref)
            scores = {k: round(v, 4) for k, v in sentence_reference_scores(hyp, ref).items()}
            scores["ref_align"] = bead.score  # the aligner's confidence in this bead (a posterior probability)
            for pair in group:
                pair.ref, pair.ref_ids = ref, list(bead.tgt)
                pair.scores.update(scores)
                if len(group) > 1:
                    pair.flag("shared_reference", f"the reference covers pairs {group[0].index}-{group[-1].index} "
                                                  "together; its scores are for the group")
    return {"paths": {d: p for d, (p, _) in sorted(references.items())}, **counts, "hyps": hyps, "refs": refs}

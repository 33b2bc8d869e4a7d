"""Length-sorted batching under a token budget, with the original order restored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from mt.records import Hypothesis

log = logging.getLogger(__name__)


def token_batches(lengths: list[int], max_batch_tokens: int) -> Iterator[list[int]]:
    """Indices into `lengths`, longest first, grouped so that a padded batch (its size times its longest
    item) stays within `max_batch_tokens`. An item longer than the budget gets a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batch: list[int] = []
    longest = 0
    for i in order:
        longest_if_added = max(longest, lengths[i])
        if batch and longest_if_added * (len(batch) + 1) > max_batch_tokens:
            yield batch
            batch, longest_if_added = [], lengths[i]
        batch.append(i)
        longest = longest_if_added
    if batch:
        yield batch


def translate_all(
    texts: list[str],
    translate_batch: Callable[[list[str]], list[Hypothesis]],
    count_tokens: Callable[[list[str]], list[int]],
    max_batch_tokens: int,
    progress: Callable[[int], None] | None = None,
    done: dict[str, Hypothesis] | None = None,
    on_batch: Callable[[list[str], list[Hypothesis]], None] | None = None,
) -> list[Hypothesis]:
    """Translate `texts` (each distinct text once), batched by length; results in the order of `texts`.

    Batches are planned over all distinct texts, so a batch is the same whether or not a run resumes; a batch
    whose texts are all in `done` is skipped. `on_batch` sees every translated batch (to checkpoint it).
    """
    unique = list(dict.fromkeys(texts))
    lengths = count_tokens(unique) if unique else []
    results: dict[str, Hypothesis] = {}
    done = done or {}
    for batch in token_batches(lengths, max_batch_tokens):
        batch_texts = [unique[i] for i in batch]
        if all(t in done for t in batch_texts):
            results.update((t, done[t]) for t in batch_texts)
        else:
            hyps = translate_resilient(translate_batch, batch_texts)
            results.update(zip(batch_texts, hyps))
            if on_batch is not None:
                on_batch(batch_texts, hyps)
        if progress is not None:
            progress(len(batch_texts))
    return [results[t] for t in texts]


# How allocation failures read: CUDA/MPS and CTranslate2 ("out of memory"), torch's CPU allocator on Linux
# ("DefaultCPUAllocator: can't allocate memory: you tried to allocate ...") and Windows ("not enough memory"),
# C++'s std::bad_alloc, and errno 12 ("Cannot allocate memory").
_OOM_WORDING = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory", "bad_alloc")


def is_out_of_memory(exc: BaseException) -> bool:
    """torch.OutOfMemoryError (CUDA or MPS), Python's MemoryError, or a RuntimeError that says an allocation
    failed, on a GPU or in CPU memory."""
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or (
        isinstance(exc, RuntimeError) and any(words in str(exc).lower() for words in _OOM_WORDING))


def translate_resilient(translate_batch: Callable[[list[str]], list[Hypothesis]],
                        texts: list[str]) -> list[Hypothesis]:
    """Translate a batch; when it runs out of memory, translate each half, down to single texts, and give a
    text that fails alone an empty hypothesis with `error="out_of_memory"`."""
    try:
        hyps = translate_batch(texts)
    except Exception as exc:  # noqa: BLE001 (only out-of-memory is handled; the rest is re-raised)
        if not is_out_of_memory(exc):
            raise
        _release_cached_memory()
        if len(texts) == 1:
            log.warning("out of memory translating one segment of %d characters; flagged", len(texts[0]))
            return [Hypothesis("", float("nan"), 0, error="out_of_memory")]
        half = len(texts) // 2
        log.info("out of memory on a batch of %d; retrying as %d + %d", len(texts), half, len(texts) - half)
        return translate_resilient(translate_batch, texts[:half]) + translate_resilient(translate_batch, texts[half:])
    if len(hyps) != len(texts):
        raise RuntimeError(f"backend returned {len(hyps)} translations for {len(texts)} inputs")
    return hyps


def _release_cached_memory() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()

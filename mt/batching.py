"""Length-sorted batching under a token budget, with the original order restored."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mt.records import Hypothesis


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
) -> list[Hypothesis]:
    """Translate `texts` (each distinct text once), batched by length; results in the order of `texts`."""
    unique = list(dict.fromkeys(texts))
    lengths = count_tokens(unique) if unique else []
    results: dict[str, Hypothesis] = {}
    for batch in token_batches(lengths, max_batch_tokens):
        batch_texts = [unique[i] for i in batch]
        hyps = translate_batch(batch_texts)
        if len(hyps) != len(batch_texts):
            raise RuntimeError(f"backend returned {len(hyps)} translations for {len(batch_texts)} inputs")
        results.update(zip(batch_texts, hyps))
        if progress is not None:
            progress(len(batch_texts))
    return [results[t] for t in texts]

"""Running out of memory, on a GPU or in CPU memory: the batch is split, a segment that fails alone is flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mt.records import Hypothesis
from mt.translate.batching import is_out_of_memory
from tests.conftest import SEED_ARTICLE

OOM = [
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you "
                  "tried to allocate 140737488355328 bytes. Error code 12 (Cannot allocate memory)"), True),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:72] data. DefaultCPUAllocator: not enough memory: you tried to "
                  "allocate 8000000000 bytes."), True),
    (RuntimeError("std::bad_alloc"), True),
    (MemoryError(), True),
    (RuntimeError("Storage size calculation overflowed with sizes=[4611686018427387904]"), False),
    (RuntimeError("The size of tensor a (3) must match the size of tensor b (4)"), False),
    (ValueError("out of memory"), False),
]


@pytest.mark.parametrize(("exc", "expected"), OOM, ids=[str(e)[:40] or type(e).__name__ for e, _ in OOM])
def test_out_of_memory_is_recognised_on_cpu_and_gpu(exc: BaseException, expected: bool) -> None:
    assert is_out_of_memory(exc) is expected


def test_a_real_cpu_allocation_failure_splits_the_batch_and_flags_the_segment(marian_config: Path) -> None:
    import torch

    from mt.config import load_config
    from mt.engines.local import translate
    from mt.inputs.files import read_documents
    from mt.pipeline import model_pieces, segment_document
    from mt.translate import load_translator

    config = load_config(marian_config)
    real = load_translator(config, str(marian_config))
    units = segment_document(next(read_documents(SEED_ARTICLE)), config)
    victim = next(u for u in units if len(model_pieces(u.segment.text, real)) == 1)
    victim_input = model_pieces(victim.segment.text, real)[0]
    sizes: list[int] = []

    class SmallMachine:
        """The tiny model on a machine whose memory holds one segment at a time, and not the victim at all:
        beyond that, torch's CPU allocator itself fails (2**48 bytes is more than any address space)."""

        model_id, revision, max_input_tokens = real.model_id, real.revision, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)

        def translate_batch(self, texts: list[str]) -> list[Hypothesis]:
            sizes.append(len(texts))
            if len(texts) > 1 or texts[0] == victim_input:
                torch.empty(2**46, dtype=torch.float32)  # RuntimeError: DefaultCPUAllocator: can't allocate ...
            return real.translate_batch(texts)

    run_dir = translate(config, SEED_ARTICLE, translator=SmallMachine())  # type: ignore[arg-type]
    pairs = [json.loads(x) for x in (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 12 and max(sizes) > 1 and sizes.count(1) >= 12  # split down to single segments
    hit = pairs[victim.index]
    assert hit["ar"] == victim.segment.text and hit["en"] == "" and hit["flags"][-1] == "out_of_memory"
    assert hit["reasons"][-1] == "1 of 1 piece(s) ran out of memory even when translated alone"
    assert all(p["en"] and "out_of_memory" not in p["flags"] for p in pairs if p is not hit)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["flags"]["out_of_memory"] == 1

"""The `mt` command. The only place that turns errors into messages and exit codes.

Exit codes: 0 done; 2 an error you can fix, in one line (a mistake in the command, the input or a config, or the
machine: disk full, permission denied); 1 an internal error (a bug: one line, the traceback with -v); 130
interrupted (Ctrl-C, SIGTERM); 141 standard output closed early (`mt segment big.txt | head -1`), quietly, as
the shell reports a command ended by SIGPIPE.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from mt import __version__
from mt.errors import MtError, disk_full

log = logging.getLogger("mt")

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE
DEFAULT_CONFIG = "configs/default.yaml"


class _Parser(argparse.ArgumentParser):
    """A command-line mistake is one line, `mt: error: ...`, with where to read more, and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"mt: error: {message} ({self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mt", description="Arabic→English translation and alignment.")
    parser.add_argument("--version", action="version", version=f"mt {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    # -v also after the command (`mt translate -v`); unset there unless given, so `mt -v translate` keeps its count
    verbose = _Parser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                         help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # how input files are decoded: the same two options for every command that reads text files
    reading = _Parser(add_help=False)
    reading.add_argument("--encoding", help="the input files' encoding, e.g. cp1256 (default: utf-8; for translate "
                         "and compare the config's); a UTF-16 or UTF-32 file with a byte-order mark is read as such")
    reading.add_argument("--errors", choices=("strict", "replace"),
                         help="invalid bytes: strict stops with an error (default), replace goes on with U+FFFD "
                         "(flagged invalid_bytes by translate and score)")

    tr = sub.add_parser("translate", parents=[verbose, reading],
                        help="segment and translate a file or folder of .txt files")
    tr.add_argument("--config", default=DEFAULT_CONFIG, help="YAML config (default: %(default)s)")
    tr.add_argument("--input", required=True, help="an Arabic .txt file or a folder of them; a .jsonl or .parquet "
                    "corpus of {id, text} rows; a saved Hugging Face dataset folder, or hf:NAME")
    tr.add_argument("--input-column", help="the text column of a corpus input (default: text)")
    tr.add_argument("--id-column", help="the id column of a corpus input (default: id, the row number when absent; "
                    "a column named here must give every row its id)")
    tr.add_argument("--split", help="the split of a Hugging Face dataset (default: train; a split named here must "
                    "exist)")
    tr.add_argument("--output-dir", help="folder for run folders (overrides the config's output_dir)")
    tr.add_argument("--overwrite", action="store_true", help="start the run folder afresh (mt's own files only: "
                    "a folder holding anything else is refused)")
    tr.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local: this process (default); ray: a Ray Data pipeline (pip install 'mt[ray]')")
    tr.add_argument("--ray-address", help="join this Ray cluster (HOST:PORT as `ray start --head` prints it, or "
                    "auto); default: start a local Ray runtime")
    tr.add_argument("--num-workers", type=int, default=2, help="Ray: translation actors (default: 2)")
    tr.add_argument("--gpus-per-worker", type=float, default=0, help="Ray: GPUs per actor (default: 0)")
    tr.add_argument("--reference", help="an English version of the input file: its sentences are aligned with the "
                    "segments and each pair is scored against them (folders: put name.en.txt beside name.ar.txt)")
    tr.add_argument("--strip-html", action="store_true", default=None,
                    help="the inputs are HTML: translate their visible text (default: markup is flagged)")
    tr.add_argument("--min-quality", type=float, metavar="Q",
                    help="keep pairs with quality >= Q in the outputs; the rest go to rejected.jsonl")
    tr.set_defaults(func=cmd_translate)

    seg = sub.add_parser("segment", parents=[verbose, reading], help="split Arabic text into sentences")
    seg.add_argument("file", nargs="?", default="-", help="a text file, or - for standard input (default)")
    seg.add_argument("--format", choices=("text", "jsonl"), default="text",
                     help="one sentence per line, or JSONL with offsets and flags")
    seg.add_argument("--repair-glued", action=argparse.BooleanOptionalAction, default=True,
                     help="split sentences glued without space or punctuation (flagged either way); on by default, "
                     "as in configs (repair_glued)")
    seg.set_defaults(func=cmd_segment)

    al = sub.add_parser("align", parents=[verbose, reading],
                        help="align an Arabic document with an English version (one sentence per line)")
    al.add_argument("--source", required=True, help="Arabic sentences, one per line (line k is sentence k)")
    al.add_argument("--target", required=True, help="English sentences, one per line")
    al.add_argument("--translation", help="English machine translation, line-aligned with --source; without it "
                    "the --config model translates the source first")
    al.add_argument("--config", default=DEFAULT_CONFIG, help="model config when there is no --translation")
    al.add_argument("--format", choices=("ladder", "tsv", "jsonl"), default="ladder",
                    help="ladder: [i, j]:[k]:score per bead, like Vecalign (default)")
    al.add_argument("--output", help="write here instead of standard output")
    al.set_defaults(func=cmd_align)

    cmp = sub.add_parser("compare", parents=[verbose, reading],
                         help="run several configs on the same input and compare them")
    cmp.add_argument("configs", nargs="+", metavar="CONFIG",
                     help="model configs (the first is the baseline), or a compare file listing them (systems:)")
    cmp.add_argument("--input", required=True, help="an Arabic .txt file or a folder of them")
    cmp.add_argument("--reference", help="an English reference: one line per segment, or a free document that is "
                     "aligned first")
    cmp.add_argument("--output", help="folder for the comparison (default: <output_dir>/compare-<name>)")
    cmp.add_argument("--name", help="name of the comparison (default: the compare file's, or the systems')")
    cmp.add_argument("--overwrite", action="store_true", help="translate again even where a run exists, and "
                     "replace the --output folder of another comparison")
    cmp.set_defaults(func=cmd_compare)

    sc = sub.add_parser("score", parents=[verbose, reading],
                        help="score existing pairs: forced-decoding model scores plus the quality checks")
    sc.add_argument("--source", required=True, help="Arabic sentences, one per line; or a run folder made with "
                    "mt translate --reference (its reference pairs are scored)")
    sc.add_argument("--target", help="English sentences, line-aligned with --source")
    sc.add_argument("--config", help="an Arabic→English model config: log p(English | Arabic) by forced decoding "
                    "(without it, only the reference-free checks)")
    sc.add_argument("--reverse-config", help="an English→Arabic model config: log p(Arabic | English), combined "
                    "with the forward score as dual conditional cross-entropy")
    sc.add_argument("--output", help="output folder (default: <output_dir>/score-<hash of inputs and settings>); "
                    "one that holds another input's scores is refused unless --overwrite")
    sc.add_argument("--min-quality", type=float, metavar="Q", help="keep pairs with quality >= Q; the rest go to "
                    "rejected.jsonl")
    sc.add_argument("--overwrite", action="store_true", help="replace the output folder even if it holds another "
                    "input's scores (mt's own files only)")
    sc.set_defaults(func=cmd_score)

    dl = sub.add_parser("download", parents=[verbose], help="fetch a config's model into the Hugging Face cache")
    dl.add_argument("config", help="YAML config naming the model")
    dl.set_defaults(func=cmd_download)
    return parser


def cmd_translate(args: argparse.Namespace) -> int:
    from mt.api import Pipeline
    from mt.backends import resolve_backend
    from mt.config import load_config_with_flags
    from mt.sources import open_source

    overrides = {"output_dir": args.output_dir, "quality.min_quality": args.min_quality,
                 "encoding": args.encoding, "encoding_errors": args.errors, "strip_html": args.strip_html}
    config = load_config_with_flags(_config_path(args.config), **overrides)
    source = open_source(args.input, text_column=args.input_column, id_column=args.id_column, split=args.split,
                         encoding=config.encoding, errors=config.encoding_errors, html=config.strip_html)
    if args.engine == "ray":
        from mt.engine_ray import translate_ray

        if args.gpus_per_worker and config.device == "auto":  # the workers' GPUs, not the driver's, decide
            config = dataclasses.replace(config, device="cuda")
        run_dir = translate_ray(resolve_backend(config), source, config_path=args.config, overwrite=args.overwrite,
                                address=args.ray_address, num_workers=args.num_workers,
                                gpus_per_worker=args.gpus_per_worker, reference=args.reference)
    else:
        run_dir = Pipeline(config, args.config).run(args.input, overwrite=args.overwrite, reference=args.reference,
                                                    source=source)
    print(run_dir)
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    from mt.io import decode_text, read_text
    from mt.segment import split_sentences

    encoding, errors = args.encoding or "utf-8", args.errors or "strict"
    if args.file == "-":
        text = decode_text(sys.stdin.buffer.read(), "<stdin>", encoding, errors)
    else:
        path = Path(args.file)
        if not path.is_file():
            raise MtError(f"input '{path}' is not a file")
        text = read_text(path, encoding, errors)
    out = sys.stdout
    for seg in split_sentences(text, repair_glued=args.repair_glued):
        if args.format == "jsonl":
            record = {"text": seg.text, "start": seg.start, "end": seg.end, "flags": list(seg.flags)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(" ".join(seg.text.split()) + "\n")
    return 0


def _lines(path_text: str, args: argparse.Namespace) -> list[str]:
    from mt.io import read_text

    path = Path(path_text)
    if not path.is_file():
        raise MtError(f"input '{path}' is not a file")
    text = read_text(path, args.encoding or "utf-8", args.errors or "strict")
    if not text:
        return []  # an empty file has no lines (not one empty one)
    lines = text.split("\n")
    return lines[:-1] if text.endswith("\n") else lines  # a final newline ends the last line


def cmd_align(args: argparse.Namespace) -> int:
    from mt.align import align

    source, target = _lines(args.source, args), _lines(args.target, args)
    for name, lines in (("--source", source), ("--target", target)):
        if not lines:
            raise MtError(f"{name} file '{getattr(args, name[2:])}' is empty: there is nothing to align")
    if args.translation:
        translation = _lines(args.translation, args)
        if len(translation) != len(source):
            raise MtError(f"--translation has {len(translation)} lines but --source has {len(source)}; "
                          "they must be line-aligned")
    else:
        translation = _machine_translation(args.config, source)
    beads = align(source, target, translation)
    out = []
    for bead in beads:
        if args.format == "ladder":
            out.append(bead.ladder())
        else:
            ar = " ".join(source[i] for i in bead.src)
            en = " ".join(target[j] for j in bead.tgt)
            if args.format == "tsv":
                src_ids, tgt_ids = ",".join(map(str, bead.src)), ",".join(map(str, bead.tgt))
                fields = [src_ids, tgt_ids, f"{bead.score:.4f}", " ".join(ar.split()), " ".join(en.split())]
                out.append("\t".join(fields))
            else:
                record = {"src": list(bead.src), "tgt": list(bead.tgt), "score": bead.score, "ar": ar, "en": en}
                out.append(json.dumps(record, ensure_ascii=False))
    text = "".join(line + "\n" for line in out)
    if args.output:
        _write_output(Path(args.output), text, {"--source": args.source, "--target": args.target,
                                                "--translation": args.translation})
    else:
        sys.stdout.write(text)
    return 0


def _write_output(path: Path, text: str, inputs: dict[str, str | None]) -> None:
    """`mt align --output`: a file, never a folder, never one of the inputs. A symbolic link is written through
    (its target replaced), a device or a FIFO written to as the shell's `>` does, never replaced by a file."""
    from mt.writers import atomic_write

    if path.is_dir():
        raise MtError(f"--output '{path}' is a folder; give the name of a file to write (e.g. {path / 'beads.txt'})")
    target = Path(os.path.realpath(path))  # where the write lands: through symbolic links and `..`
    for flag, name in inputs.items():
        if name and target.exists() and os.path.samefile(target, name):
            raise MtError(f"--output '{path}' is the {flag} file, which would be overwritten; pick another file")
    try:
        if target.exists() and not target.is_file():  # a device, a FIFO: opened and written, never replaced
            with open(target, "w", encoding="utf-8") as out:
                out.write(text)
        else:
            atomic_write(target, text)
    except (FileExistsError, NotADirectoryError):
        from mt.rundir import not_a_folder

        raise MtError(f"--output: {not_a_folder(path.parent)}") from None
    except OSError as exc:
        if disk_full(exc):
            raise MtError(f"the disk is full: --output '{path}' cannot be written (no space left on the device); "
                          "free some space or pick another place") from None
        raise MtError(f"--output '{path}' cannot be written: {exc.strerror or exc}") from None


def _machine_translation(config_path: str, source: list[str]) -> list[str]:
    from mt.backends import load_translator
    from mt.config import load_config
    from mt.pipeline import translate_lines

    config = load_config(_config_path(config_path, "; or give --translation, a machine translation line-aligned "
                                                   "with --source"))
    return translate_lines(load_translator(config, config_path), source, config.max_batch_tokens)


def _config_path(path: str, alternative: str = "") -> str:
    """The --config to load; the default one, relative to the working folder, missing is an error saying so."""
    if path == DEFAULT_CONFIG and not Path(path).is_file():
        raise MtError(f"no --config given and the default '{DEFAULT_CONFIG}' does not exist in the current folder "
                      f"({Path.cwd()}); pass --config PATH to a model config (the repository's configs/ has them)"
                      + alternative)
    return path


def cmd_compare(args: argparse.Namespace) -> int:
    from mt.compare import compare

    out = compare(args.configs, args.input, reference=args.reference, output=args.output, name=args.name,
                  overwrite=args.overwrite, encoding=args.encoding, errors=args.errors)
    sys.stdout.write((out / "table.md").read_text(encoding="utf-8"))
    print(out)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from mt.score import score

    print(score(args.source, args.target, config=args.config, reverse_config=args.reverse_config,
                output=args.output, min_quality=args.min_quality, overwrite=args.overwrite,
                encoding=args.encoding or "utf-8", errors=args.errors or "strict"))
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from mt.config import load_config
    from mt.hub import download_model

    config = load_config(args.config)
    resolved = download_model(config, args.config)
    print(f"{resolved.model_id} @ {resolved.revision or 'local'}: {resolved.path}")
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (kill, a scheduler, docker stop) ends a run as Ctrl-C does


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if sys.stdout is None:  # started with standard output closed (`mt ... >&-`): nowhere to write the results
        return _error("standard output is closed; mt writes its results there: redirect it to a file or /dev/null "
                      "instead")
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not after main has returned
        return code
    except MtError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print("mt: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_CLOSED_PIPE
    except Exception as exc:  # noqa: BLE001 (the edge: environmental failures in one line, bugs with -v)
        log.debug("the failure in full", exc_info=True)
        message = _environmental(exc)
        if message is not None:
            return _error(message)
        if args.verbose:
            import traceback

            traceback.print_exc()
            return EXIT_INTERNAL_ERROR
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"mt: error: internal error: {detail[:300]} (run again with -v for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _error(message: str) -> int:
    print(f"mt: error: {message}", file=sys.stderr)
    return EXIT_USER_ERROR


def _environmental(exc: Exception) -> str | None:
    """One line for a failure of the machine rather than of mt (disk full, permission denied, another OS
    error), None for anything else."""
    if disk_full(exc):
        where = f" while writing '{exc.filename}'" if isinstance(exc, OSError) and exc.filename else ""
        return f"the disk is full (no space left on the device){where}; free some space and run the command again"
    if isinstance(exc, OSError):
        where = f": '{exc.filename}'" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return None


def _quiet_stdout() -> None:
    """After a closed pipe: point standard output at /dev/null, so that Python's own flush at exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to quiet
        pass


if __name__ == "__main__":
    sys.exit(main())

"""The ``invariant`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _preview(args: argparse.Namespace) -> int:
    from .training.preview import preview_builtin

    path = preview_builtin(Path(args.out), seed=args.seed)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invariant", description="Image augmentation that declares and checks invariances.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main demo")
    demo.add_argument("--out", default="invariant-report", help="output folder")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_preview)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

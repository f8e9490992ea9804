"""`python -m fusioncell.language install-model FILE.argosmodel [--data DIR]`: install an
Argos Translate model the operator has as a file into the cell's model directory
(settings `translate_model_dir`, default <data>/argos-models). Nothing is downloaded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fusioncell.language.engines import install_model
from fusioncell.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fusioncell.language")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install-model", help="install an .argosmodel file")
    p.add_argument("file", type=Path)
    p.add_argument("--data", type=Path, default=Path("fusioncell-data"))
    args = parser.parse_args(argv)
    settings = Settings.for_data(args.data)
    target = settings.translate_model_dir or settings.data / "argos-models"
    try:
        install_model(args.file, target)
    except FileNotFoundError:
        print(f"no such file: {args.file}", file=sys.stderr)
        return 1
    except ImportError:
        print("argostranslate is not installed: pip install 'fusioncell[argos]'", file=sys.stderr)
        return 1
    print(f"installed {args.file.name} into {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

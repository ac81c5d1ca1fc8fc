"""Keep a bench's generated section of bench/README.md up to date, leaving the rest as it is."""
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def write_block(begin: str, end: str, block: str) -> None:
    """Replace the text from ``begin`` to ``end`` (markers included in ``block``), or append ``block``."""
    current = README.read_text() if README.exists() else "# Benchmarks\n"
    if begin in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    README.write_text(current)
    print(f"\nrecorded in {README}")

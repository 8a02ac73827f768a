"""Published reference values for the statistics tests, kept in `tests/reference_data/`.

One JSON file per source; each names its source under `source` (see the folder's
README). The suite reads them only through this module, never from outside the
repository.
"""

import json
from pathlib import Path

REFERENCE_DATA = Path(__file__).resolve().parent / "reference_data"


def reference_path(name: str) -> Path:
    """The file of one reference case; a name that is not there fails with the folder."""
    path = REFERENCE_DATA / name
    if not path.is_file():
        raise FileNotFoundError(f"no reference case {name!r} in {REFERENCE_DATA}")
    return path


def reference(name: str) -> dict:
    """One reference case: `source`, `data`, `expected` and `tolerance`."""
    return json.loads(reference_path(name).read_text(encoding="utf-8"))

"""Small helpers to read the datasets' CSV/TSV lists with clear errors."""

import csv
import os


def require_dir(path, what, hint=""):
    """Returns ``path`` if it is a folder, else raises naming it."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what} {path!r} is not a folder.{hint}")
    return path


def read_table(path, required_columns, delimiter="\t"):
    """Reads a delimited file with a header row into a list of dicts.

    Args:
        path: file to read.
        required_columns: column names that must be in the header.
        delimiter: field separator. Defaults to a TAB.

    Returns:
        list of ``{column: value}`` dicts, one per non-empty data line.

    Raises:
        FileNotFoundError: naming ``path`` if it does not exist.
        ValueError: naming ``path`` (and the line) for a missing column or a
            short row.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Missing list file {path!r}.")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"List file {path!r} is empty (no header row).")
        header = [h.strip() for h in header]
        missing = [c for c in required_columns if c not in header]
        if missing:
            raise ValueError(
                f"List file {path!r} lacks column(s) {missing}; its header is "
                f"{header} (expected {delimiter!r}-separated columns "
                f"{list(required_columns)})."
            )
        rows = []
        for line_number, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise ValueError(
                    f"{path!r}, line {line_number}: expected {len(header)} "
                    f"{delimiter!r}-separated fields, found {len(row)}: {row}"
                )
            rows.append({h: cell.strip() for h, cell in zip(header, row)})
    return rows

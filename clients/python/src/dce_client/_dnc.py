"""Bulk DNC import in chunks, so a long list shows progress and stays under the request limits
(10,000 numbers and 256 KiB a request). Lines keep their numbers across chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dce_client.models import DncImportResult, InvalidLine

CHUNK_LINES = 1000
CHUNK_BYTES = 200_000
MAX_NUMBERS = 10_000
MAX_REPORTED_INVALID = 1000
Progress = Callable[[int, int], None]  # (lines sent so far, lines in all)


@dataclass(frozen=True)
class Chunk:
    first_line: int  # 0-based offset: a line `n` of this chunk is line `first_line + n` of the whole list
    text: str
    lines: int

    @property
    def blank(self) -> bool:
        """Nothing to send (blank lines only): the server would refuse an empty list."""
        return not self.text.strip(' \t\n,"')


def split_lines(numbers: str | Iterable[str]) -> list[str]:
    if isinstance(numbers, str):
        return numbers.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [str(line) for line in numbers]


def chunks(lines: list[str], chunk_lines: int = CHUNK_LINES) -> list[Chunk]:
    result: list[Chunk] = []
    start, size, entries = 0, 0, 0
    for index, line in enumerate(lines):
        line_size, line_entries = len(line.encode()) + 1, line.count(",") + 1
        full = index - start >= chunk_lines or size + line_size > CHUNK_BYTES or entries + line_entries > MAX_NUMBERS
        if index > start and full:
            result.append(Chunk(start, "\n".join(lines[start:index]), index - start))
            start, size, entries = index, 0, 0
        size, entries = size + line_size, entries + line_entries
    if start < len(lines):
        result.append(Chunk(start, "\n".join(lines[start:]), len(lines) - start))
    return result


def merge(parts: list[tuple[Chunk, DncImportResult]]) -> DncImportResult:
    """One result for the whole list: `imported` sums the chunks' (a number repeated in two chunks counts
    twice), invalid lines are numbered in the whole list."""
    invalid = [
        InvalidLine(line=chunk.first_line + item.line, message=item.message)
        for chunk, result in parts
        for item in result.invalid
    ]
    return DncImportResult(
        imported=sum(result.imported for _, result in parts),
        invalid_count=sum(result.invalid_count for _, result in parts),
        invalid=invalid[:MAX_REPORTED_INVALID],
    )

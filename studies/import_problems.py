"""What an import found, as data (`ImportProblem`), and the error that says nothing was
stored (`ImportFailed`); the admin, the command and the API all render these."""

from dataclasses import dataclass

MEDIA_NOT_STORED = (
    "the media file could not be stored: {cause}. "
    "Nothing was imported; import again once the media volume can take the files."
)


@dataclass(frozen=True)
class ImportProblem:
    """One finding of an import, as data: where (`source`: the file's name, or what sent
    the items; `line`: the line of a file, or the item's number in a list, from 1; `field`)
    and what (`code`, a stable word to branch on, and `message`, a sentence for a person).
    The admin and the command print it as text; the API builds its field paths from it."""

    source: str
    line: int | None
    field: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f" line {self.line}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}" if where else self.message


class ImportFailed(Exception):
    """Nothing was stored; `problems` says what and where."""

    def __init__(self, problems: list[ImportProblem], *, more: bool = False) -> None:
        self.problems = problems
        self.more = more
        lines = self.errors
        if more:
            lines.append(f"... stopped after {len(problems)} errors; fix these and import again")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[str]:
        return [str(problem) for problem in self.problems]


class MediaNotStored(ImportFailed):
    """The media volume refused a file (full, read-only): the rows were fine, the platform
    could not keep them. Nothing was stored, and the files already written are removed."""

    def __init__(self, source: str, line: int, cause: str) -> None:
        self.cause = cause
        message = MEDIA_NOT_STORED.format(cause=cause)
        super().__init__([ImportProblem(source, line, "file", "media_not_stored", message)])


def whole_problem(source: str, code: str, message: str) -> ImportProblem:
    """A problem of the input as a whole (no line, no field)."""
    return ImportProblem(source, None, None, code, message)


class ProblemList:
    """The problems of one import, up to a cap (the rest only counted)."""

    def __init__(self, source: str, cap: int) -> None:
        self.source = source
        self.cap = cap
        self.items: list[ImportProblem] = []
        self.more = False
        self.count = 0  # problems found, kept or beyond the cap

    def add(self, line: int, field_name: str | None, code: str, message: str) -> None:
        self.count += 1
        if len(self.items) < self.cap:
            self.items.append(ImportProblem(self.source, line, field_name, code, message))
        else:
            self.more = True

    @property
    def full(self) -> bool:
        return self.more

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportFailed(self.items, more=self.more)

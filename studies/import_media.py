"""Where an import's media files come from: a folder or a ZIP archive, read one named file
at a time with a size limit."""

import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings

from studies.import_problems import ImportFailed, whole_problem
from studies.media import MediaError


class MediaSource:
    """Media files named by the `file` column, from a folder or a ZIP archive."""

    def __init__(self, *, label: str, max_bytes: int) -> None:
        self.label = label
        self.max_bytes = max_bytes

    def read(self, name: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


class MediaFolder(MediaSource):
    def __init__(self, path: Path, *, max_bytes: int) -> None:
        super().__init__(label=str(path), max_bytes=max_bytes)
        self.root = path.resolve()

    def read(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise KeyError(name)
        if path.stat().st_size > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        return path.read_bytes()


class MediaZip(MediaSource):
    def __init__(self, file, *, label: str, max_bytes: int) -> None:
        super().__init__(label=label, max_bytes=max_bytes)
        try:
            self.archive = zipfile.ZipFile(file)
        except zipfile.BadZipFile as error:
            raise ImportFailed(
                [whole_problem(label, "media", f"not a ZIP archive ({error})")]
            ) from error
        self.members = {
            str(PurePosixPath(info.filename)): info
            for info in self.archive.infolist()
            if not info.is_dir()
        }

    def read(self, name: str) -> bytes:
        info = self.members.get(str(PurePosixPath(name.replace("\\", "/"))))
        if info is None:
            raise KeyError(name)
        if info.file_size > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        # The header's size can lie (a ZIP bomb): never inflate more than the limit.
        with self.archive.open(info) as member:
            data = member.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise MediaError(f"file is over the limit of {self.max_bytes} bytes")
        return data

    def close(self) -> None:
        self.archive.close()


def media_source_open(path: Path, *, max_bytes: int | None = None) -> MediaSource:
    limit = max_bytes or settings.BLINDRATE_MEDIA_MAX_BYTES
    if path.is_dir():
        return MediaFolder(path, max_bytes=limit)
    if path.is_file():
        return MediaZip(path, label=path.name, max_bytes=limit)
    raise ImportFailed([whole_problem(str(path), "media", "no such folder or ZIP file")])

"""Checksummed downloads that never leave a partial or corrupt file behind."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from .checksums import (
    CHUNK_BYTES,  # the same read size for hashing and downloading
    Checksum,
    file_digest,
    matches,
)

USER_AGENT = "digitstudy/0.1 (+https://github.com/; reproducible Keras study)"


class DownloadError(RuntimeError):
    """A file could not be fetched or failed its checksum. The message is one paragraph
    meant for the user: what failed, where from, the expected checksum, how to fix it."""


def manual_hint(destination: Path, checksum: Checksum | None, config_key: str | None) -> str:
    where = f"place it at {destination}"
    if config_key:
        where += f" or point the config key `{config_key}` at it"
    expected = f" (it must have {checksum})" if checksum else ""
    return (
        f"To supply the file by hand, download it on a machine with internet access and "
        f"{where}{expected}."
    )


def download(
    url: str,
    destination: str | os.PathLike,
    checksum: Checksum | None,
    *,
    description: str,
    config_key: str | None = None,
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Stream `url` to `destination` with a progress bar.

    The bytes go to `destination.part` and are renamed into place only after the checksum
    passes, so an interrupted or corrupt download never looks like a finished one. An
    existing destination with the right checksum is reused without touching the network.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists() and checksum is not None and matches(destination, checksum):
        return destination
    partial = destination.with_name(destination.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=destination.name,
                disable=not progress,
                mininterval=2.0,
            ) as bar:
                for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", None) or error
        raise DownloadError(
            f"Could not download {description} from {url}: {reason}. "
            f"Nothing was kept. {manual_hint(destination, checksum, config_key)}"
        ) from error
    verify_or_remove(partial, checksum, description=description, url=url, config_key=config_key, final=destination)
    shutil.move(partial, destination)
    return destination


def verify_or_remove(
    path: Path,
    checksum: Checksum | None,
    *,
    description: str,
    url: str,
    config_key: str | None = None,
    final: Path | None = None,
) -> None:
    """Raise DownloadError and delete `path` if its checksum is not the expected one."""
    if checksum is None:
        return
    actual = file_digest(path, checksum.algorithm)
    if actual == checksum.hexdigest.lower():
        return
    path.unlink(missing_ok=True)
    raise DownloadError(
        f"The download of {description} from {url} is corrupt: expected {checksum}, got "
        f"{checksum.algorithm} {actual}. The file was removed. It may have been truncated or "
        f"changed at the source; try again later. "
        f"{manual_hint(final or path, checksum, config_key)}"
    )

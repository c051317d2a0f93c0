"""Checksummed downloads that never leave a partial or corrupt file behind (pooch)."""

from __future__ import annotations

import os
from pathlib import Path

from .checksums import Checksum

USER_AGENT = "digitstudy/0.1 (+https://github.com/; reproducible Keras study)"
# The process's umask, read once at import (os.umask can only read it by setting it, which would
# race with threads that create files, such as the parallel font downloads).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


class DownloadError(RuntimeError):
    """A file could not be fetched or failed its checksum. The message is one paragraph
    meant for the user: what failed, where from, the expected checksum, how to fix it."""


def manual_hint(destination: Path, checksum: Checksum | None, config_key: str | None) -> str:
    where = f"place it at {destination}"
    if config_key:
        where += f" or point the config key `{config_key}` at it"
    expected = f" (it must have {checksum})" if checksum else ""
    return f"To supply the file by hand, download it on a machine with internet access and {where}{expected}."


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
    """Fetch `url` to `destination` with a progress bar (pooch.retrieve).

    pooch writes to a temporary file beside `destination` and gives it the final name only after
    the checksum passes, so an interrupted or corrupt download never looks like a finished one;
    an existing destination with the right checksum is reused without touching the network.
    """
    import pooch
    import requests

    destination = Path(destination)
    known_hash = f"{checksum.algorithm}:{checksum.hexdigest.lower()}" if checksum else None
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout, headers={"User-Agent": USER_AGENT})
    try:
        path = pooch.retrieve(url, known_hash, fname=destination.name, path=destination.parent, downloader=downloader)
    except (requests.RequestException, OSError) as error:
        raise DownloadError(
            f"Could not download {description} from {url}: {_innermost(error)}. "
            f"Nothing was kept. {manual_hint(destination, checksum, config_key)}"
        ) from error
    except ValueError as error:  # pooch: the checksum does not match; it has deleted the download
        raise DownloadError(
            f"The download of {description} from {url} is corrupt: expected {checksum}, got "
            f"{checksum.algorithm} {_got_hash(str(error))}. The file was removed. It may have been truncated or "
            f"changed at the source; try again later. {manual_hint(destination, checksum, config_key)}"
        ) from error
    # pooch's temporary file is private (0600); a downloaded dataset is as readable as any new file.
    os.chmod(path, 0o666 & ~_UMASK)
    return Path(path)


def _innermost(error: BaseException) -> BaseException:
    """The root cause (requests wraps "[Errno -2] Name or service not known" three times)."""
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    return error


def _got_hash(message: str) -> str:
    """The hash pooch computed, from its message ("... expected X but got Y. ...")."""
    return message.split(" but got ", 1)[1].split(".", 1)[0].strip() if " but got " in message else "another hash"

import hashlib

import pytest

from digitstudy.data.checksums import Checksum, file_digest
from digitstudy.data.download import DownloadError, download


def test_download_verifies_and_renames(http_root, tmp_path):
    root, url = http_root
    (root / "data.bin").write_bytes(b"payload" * 1000)
    checksum = Checksum("sha256", hashlib.sha256(b"payload" * 1000).hexdigest())
    destination = tmp_path / "out" / "data.bin"
    assert download(url + "data.bin", destination, checksum, description="test", progress=False) == destination
    assert file_digest(destination) == checksum.hexdigest
    assert not destination.with_name("data.bin.part").exists()


def test_corrupt_download_is_removed_and_explained(http_root, tmp_path):
    root, url = http_root
    (root / "data.bin").write_bytes(b"truncated")
    expected = Checksum("md5", "0" * 32)
    destination = tmp_path / "data.bin"
    with pytest.raises(DownloadError) as error:
        download(
            url + "data.bin", destination, expected, description="the test file", config_key="x.source", progress=False
        )
    message = str(error.value)
    assert "corrupt" in message and url + "data.bin" in message
    assert "0" * 32 in message and "x.source" in message
    assert not destination.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_unreachable_url_leaves_nothing(dead_url, tmp_path):
    destination = tmp_path / "data.bin"
    with pytest.raises(DownloadError) as error:
        download(dead_url + "data.bin", destination, Checksum("sha256", "ab" * 32), description="X", progress=False)
    assert dead_url in str(error.value) and "ab" * 32 in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_existing_verified_file_is_reused_without_network(dead_url, tmp_path):
    destination = tmp_path / "data.bin"
    destination.write_bytes(b"cached")
    checksum = Checksum("sha256", hashlib.sha256(b"cached").hexdigest())
    assert download(dead_url + "data.bin", destination, checksum, description="X", progress=False) == destination


def test_downloaded_file_gets_the_usual_permissions(http_root, tmp_path):
    from digitstudy.data import download as module

    root, url = http_root
    (root / "data.bin").write_bytes(b"payload")
    checksum = Checksum("sha256", hashlib.sha256(b"payload").hexdigest())
    path = download(url + "data.bin", tmp_path / "data.bin", checksum, description="test", progress=False)
    assert path.stat().st_mode & 0o777 == 0o666 & ~module._UMASK  # not pooch's private 0o600

"""Download, checksum and archive helpers (torchvision.datasets.utils)."""

import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import tarfile
import urllib.request
import zipfile

__all__ = [
    "calculate_md5",
    "check_md5",
    "check_integrity",
    "download_url",
    "extract_archive",
    "download_and_extract_archive",
]

USER_AGENT = "ember/vision"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _urlretrieve(url, filename, chunk_size=1024 * 32):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": USER_AGENT})) as response:
        with open(filename, "wb") as fh:
            while chunk := response.read(chunk_size):
                fh.write(chunk)


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Downloads ``url`` into ``root/filename`` unless a file with the right MD5 is already there."""
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    _urlretrieve(url, fpath)
    if not check_integrity(fpath, md5):
        raise RuntimeError("File not found or corrupted.")


_COMPRESSORS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extracts .tar(.gz/.bz2/.xz), .tgz, .zip, or decompresses a single .gz/.bz2/.xz file. Returns the folder
    (or, for a single compressed file, the decompressed file's path)."""
    if to_path is None:
        to_path = os.path.dirname(from_path)
    name = os.fspath(from_path)
    lower = name.lower()
    if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")):
        with tarfile.open(name) as tar:
            tar.extractall(to_path, filter="data")
        result = to_path
    elif lower.endswith(".zip"):
        with zipfile.ZipFile(name, "r") as z:
            z.extractall(to_path)
        result = to_path
    else:
        ext = os.path.splitext(lower)[1]
        if ext not in _COMPRESSORS:
            raise RuntimeError(f"Archive type of '{name}' is not supported.")
        out = os.path.join(to_path, os.path.basename(name)[: -len(ext)])
        with _COMPRESSORS[ext](name, "rb") as rfh, open(out, "wb") as wfh:
            shutil.copyfileobj(rfh, wfh)
        result = out
    if remove_finished:
        os.remove(name)
    return result


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False):
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)

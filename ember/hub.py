"""Downloading checkpoints into a cache directory, as `torch.hub.load_state_dict_from_url` does.

The cache is torch's (``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``), so
files torch already downloaded are reused. A file name of the form ``name-<hexprefix>.ext`` is checked
against the SHA256 of its content when ``check_hash`` is true.
"""

import hashlib
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from urllib.parse import urlparse

__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_hub_dir = None
_READ_DATA_CHUNK = 128 * 1024


def _torch_home():
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))


def get_dir():
    """Matches `torch.hub.get_dir`."""
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_torch_home(), "hub")


def set_dir(d):
    """Matches `torch.hub.set_dir`."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Matches `torch.hub.download_url_to_file`: downloads into a temporary file next to ``dst``, checks the
    SHA256 prefix, then moves it into place."""
    req = urllib.request.Request(url, headers={"User-Agent": "ember.hub"})
    u = urllib.request.urlopen(req)
    meta = u.info()
    length = meta.get("Content-Length") if hasattr(meta, "get") else None
    file_size = int(length) if length is not None else None
    dst = os.path.expanduser(dst)
    dst_dir = os.path.dirname(os.path.abspath(dst))
    f = tempfile.NamedTemporaryFile(delete=False, dir=dst_dir, prefix=os.path.basename(dst) + ".", suffix=".partial")
    try:
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        done = 0
        while True:
            buffer = u.read(_READ_DATA_CHUNK)
            if len(buffer) == 0:
                break
            f.write(buffer)
            if sha256 is not None:
                sha256.update(buffer)
            done += len(buffer)
            if progress:
                if file_size:
                    sys.stderr.write(f"\r{done * 100 // file_size:3d}% {done}/{file_size} bytes")
                else:
                    sys.stderr.write(f"\r{done} bytes")
        if progress:
            sys.stderr.write("\n")
        f.close()
        u.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[: len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def load_state_dict_from_url(
    url, model_dir=None, map_location=None, progress=True, check_hash=False, file_name=None, weights_only=False
):
    """Matches `torch.hub.load_state_dict_from_url`: downloads ``url`` into ``model_dir`` (default
    ``<hub dir>/checkpoints``) unless the file is already there, then loads it with `ember.load`."""
    from . import load

    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    parts = urlparse(url)
    filename = os.path.basename(parts.path)
    if file_name is not None:
        filename = file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        if progress:
            sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    return load(cached_file, map_location=map_location, weights_only=weights_only)

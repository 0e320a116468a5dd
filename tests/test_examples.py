"""The example programs run (each with --quick, as a subprocess) and print what they promise."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _have(*modules):
    return all(importlib.util.find_spec(m) is not None for m in modules)


def run_example(name, *args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", PYTHONHASHSEED="0")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # tiny GEMMs: threads only contend
        env.setdefault(var, "1")
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{name} exited with {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _percent(pattern, out):
    m = re.search(pattern, out)
    assert m, f"no line matching {pattern!r} in:\n{out}"
    return float(m.group(1))


@pytest.mark.skipif(not _have("sklearn", "tqdm", "matplotlib"), reason="needs the examples extra")
def test_train_digits_quick(tmp_path):
    out = run_example("train_digits.py", "--quick", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert "backend: ember" in out
    assert _percent(r"pretrain accuracy \(digits 0-6\): ([\d.]+)%", out) >= 80
    assert _percent(r"transfer accuracy \(digits 7-9, frozen features\): ([\d.]+)%", out) >= 70
    assert "features frozen, new head Linear(512, 3)" in out
    for line, fname in [("checkpoint", "digits_cnn.pt"), ("curves", "digits_curves.png")]:
        assert re.search(rf"^{line}: .*{re.escape(fname)}", out, re.M), out
        assert (tmp_path / "o" / fname).stat().st_size > 0
    assert (tmp_path / "o" / "digits_misclassified.png").read_bytes()[:4] == b"\x89PNG"
    if _have("torch"):  # the checkpoint is PyTorch's format: real torch reads it
        import torch

        ckpt = torch.load(tmp_path / "o" / "digits_cnn.pt")
        assert ckpt["transfer_digits"] == [7, 8, 9]
        assert tuple(ckpt["model"]["head.weight"].shape) == (3, 512)
        assert ckpt["model"]["features.0.weight"].dtype == torch.float32


def test_char_gpt_quick(tmp_path):
    out = run_example("char_gpt.py", "--quick", cwd=tmp_path)
    assert re.search(r"^step +40: train loss [\d.]+, val loss [\d.]+", out, re.M), out
    assert re.search(r"^trained 40 steps", out, re.M), out
    assert out.split("sample:\n", 1)[1].startswith("Shall I ")


def test_word_lstm_lm_quick(tmp_path):
    out = run_example("word_lstm_lm.py", "--quick", cwd=tmp_path)
    m = re.search(r"^train perplexity ([\d.]+) -> ([\d.]+)", out, re.M)
    assert m and float(m.group(2)) < float(m.group(1)), out
    assert "sample:" in out


def test_vae_quick(tmp_path):
    out = run_example("vae.py", "--quick", "--out", str(tmp_path / "o"), cwd=tmp_path)
    m = re.search(r"^test loss \(negative ELBO\) ([\d.]+) -> ([\d.]+)", out, re.M)
    assert m and float(m.group(2)) < float(m.group(1)), out
    if _have("matplotlib"):
        assert (tmp_path / "o" / "vae_samples.png").stat().st_size > 0


def test_dcgan_quick(tmp_path):
    out = run_example("dcgan.py", "--quick", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert re.search(r"^step +10: loss_D [\d.]+ loss_G [\d.]+", out, re.M), out
    assert "generator ringness" in out
    if _have("matplotlib"):
        assert (tmp_path / "o" / "dcgan_samples.png").stat().st_size > 0


def test_reinforce_gridworld_quick(tmp_path):
    out = run_example("reinforce_gridworld.py", "--quick", cwd=tmp_path)
    assert re.search(r"^episode +40: last return", out, re.M), out
    assert "greedy policy:" in out and re.search(r"^greedy episode: return", out, re.M), out


def test_mnist_cnn_fakedata_quick(tmp_path):
    out = run_example("mnist_cnn_fakedata.py", "--quick", cwd=tmp_path)
    assert re.search(r"^data: .*64 train / 32 test images of 1x28x28", out, re.M), out
    m = re.search(r"^train loss ([\d.]+) -> ([\d.]+)", out, re.M)
    assert m and float(m.group(2)) < float(m.group(1)), out

"""Regenerate _names.py from a CuPy source tree: python tests/fakecupy/_gen_names.py GIT_DIR [REV].

Reads the public names of each emulated CuPy module from its sources (top-level imports, defs, classes
and assignments, private names left out), so the stand-in exposes what CuPy exposes and no more.
"""

import ast
import re
import subprocess
import sys

MODULES = {
    "cupy": "cupy/__init__.py",
    "cupy.linalg": "cupy/linalg/__init__.py",
    "cupy.fft": "cupy/fft/__init__.py",
    "cupy.random": "cupy/random/__init__.py",
    "cupy.lib.stride_tricks": "cupy/lib/stride_tricks.py",
    "cupy.cuda": "cupy/cuda/__init__.py",
    "cupyx.scipy.special": "cupyx/scipy/special/__init__.py",
    "cupyx.scipy.fft": "cupyx/scipy/fft/__init__.py",
}
PYX = {"cupy.cuda.runtime": "cupy_backends/cuda/api/runtime.pyx"}


def _names(tree, borrowed=None):
    out = []

    def visit(body):
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                out.extend(a.asname or a.name for a in node.names)
                if borrowed is not None and (node.module == "numpy" or node.module.startswith("numpy.")):
                    borrowed.extend((a.asname or a.name, node.module, a.name) for a in node.names)
            elif isinstance(node, ast.Import):
                out.extend((a.asname or a.name).split(".")[-1] for a in node.names if a.asname is None)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                out.append(node.name)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        out.append(t.id)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)

    visit(tree.body)
    return sorted({n for n in out if not n.startswith("_") and n != "*"})


def main(git_dir, rev="HEAD"):
    def show(path):
        return subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", f"{rev}:{path}"], check=True, capture_output=True, text=True
        ).stdout

    commit = subprocess.run(
        ["git", f"--git-dir={git_dir}", "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    lines = [f'"""Public names of CuPy\'s modules, read from its sources at commit {commit} by _gen_names.py."""', ""]
    lines.append("NAMES = {")
    borrowed = {}
    for mod, path in MODULES.items():
        b = borrowed[mod] = []
        lines.append(f"    {mod!r}: {tuple(_names(ast.parse(show(path)), b))!r},")
    for mod, path in PYX.items():
        found = re.findall(r"^(?:cpdef|def)\s+(?:[\w ]+\s+)?(\w+)\(", show(path), re.M)
        lines.append(f"    {mod!r}: {tuple(sorted({n for n in found if not n.startswith('_')}))!r},")
    lines.append("}")
    lines.append("")
    lines.append("# name: (NumPy module, NumPy name) for what each module takes from NumPy unchanged")
    lines.append("BORROWED = {")
    for mod, b in borrowed.items():
        if b:
            lines.append(f"    {mod!r}: {dict((n, (m, o)) for n, m, o in sorted(set(b)))!r},")
    lines.append("}")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])

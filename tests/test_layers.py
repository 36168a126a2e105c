"""The layer rule of docs/architecture.md, checked against every import in faechain/.

The drawing in docs/architecture.md lists the packages top to bottom; a package may
import only those below it. This test parses that drawing (so the document and the
code cannot disagree) and walks every `import` statement of every module — at the top
of a module or inside a function — failing on one that points up, on a package missing
from the drawing, on a private name imported from another module, and on the SDK
importing anything beyond core, crypto, identity and ledger.
"""

from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "faechain"
DOC = ROOT / "docs" / "architecture.md"
SDK_MAY_IMPORT = {"core", "crypto", "identity", "ledger", "sdk"}
# an attestor runs beside a bank's own systems as a member's client (docs/architecture.md)
ADAPTERS_MAY_IMPORT = {"adapters", "core", "crypto", "identity", "sdk"}
# Underscored attributes of other objects that are not another module's private state.
ALLOWED_PRIVATE_ATTRIBUTES = {
    "argparse._SubParsersAction",  # the standard library's public type for add_subparsers()
    "super()._make_server",  # overriding aiohttp's AppRunner hook (faechain.api.limits.Runner)
    "oid._name",  # cryptography's ObjectIdentifier name, for a readable error message
    "other._raw",  # an SM2 point comparing itself with another of its own class
    "L._up_ref",  # OpenSSL's refcount function looked up on the ctypes library handle
    "os._exit",  # the standard library's exit without cleanup, for a worker whose parent died
}


def layers() -> list[str]:
    """The packages of the drawing, bottom first."""
    text = DOC.read_text()
    block = re.search(r"<!-- layers:[^>]*-->\s*```text\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no layers drawing"
    names = [line.split()[0] for line in block.group(1).splitlines() if line.strip()]
    return list(reversed(names))


def modules() -> list[tuple[str, pathlib.Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def package_of(module: str) -> str | None:
    """The layer package of `module`; None outside faechain and for faechain/__main__.py,
    the entry point above every layer."""
    parts = module.split(".")
    if len(parts) > 1 and parts[0] == "faechain" and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return None


def imports(module: str, path: pathlib.Path):
    """(line, imported module, imported name or None) of every import in the file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                yield node.lineno, target, alias.name


def test_every_package_is_in_the_drawing():
    drawn = set(layers())
    present = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert present - drawn == set(), f"packages missing from docs/architecture.md: {sorted(present - drawn)}"
    assert drawn - present == set(), f"drawn packages that do not exist: {sorted(drawn - present)}"


def test_imports_point_down_the_layers():
    rank = {name: i for i, name in enumerate(layers())}
    upward = []
    for module, path in modules():
        own = package_of(module)
        for line, target, _ in imports(module, path):
            other = package_of(target)
            if own and other and rank[other] > rank[own]:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({other})")
    assert upward == [], "imports that point up the layers:\n" + "\n".join(upward)


def test_no_private_names_across_modules():
    found = []
    for module, path in modules():
        for line, target, name in imports(module, path):
            if target.startswith("faechain") and name and name.startswith("_") and not name.startswith("__"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name} from {target}")
    assert found == [], "private names imported from another module:\n" + "\n".join(found)


def test_no_reaching_into_other_objects_private_attributes():
    found = []
    for _, path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            text = ast.unparse(node)
            if text not in ALLOWED_PRIVATE_ATTRIBUTES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {text}")
    assert found == [], "private attributes of other objects:\n" + "\n".join(found)


def test_the_sdk_imports_only_what_a_client_needs():
    bad = []
    for module, path in modules():
        if package_of(module) != "sdk":
            continue
        for line, target, _ in imports(module, path):
            other = package_of(target)
            if other and other not in SDK_MAY_IMPORT:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert bad == [], "the SDK imports server-side code:\n" + "\n".join(bad)


def test_the_adapters_import_only_what_a_members_client_needs():
    bad = []
    for module, path in modules():
        if package_of(module) != "adapters":
            continue
        for line, target, _ in imports(module, path):
            other = package_of(target)
            if other and other not in ADAPTERS_MAY_IMPORT:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert bad == [], "the adapters import server-side code:\n" + "\n".join(bad)


def test_the_rule_catches_an_upward_import(tmp_path, monkeypatch):
    """The checker itself fails on a violation (a test that can fail)."""
    fake = tmp_path / "faechain" / "core"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("def f():\n"
                                 "    from faechain.api.server import build_app\n"
                                 "    from faechain.ledger.storage import _x\n")
    got = list(imports("faechain.core.bad", fake / "bad.py"))
    rank = {name: i for i, name in enumerate(layers())}
    assert [(line, t) for line, t, _ in got if rank[package_of(t)] > rank["core"]] == [
        (2, "faechain.api.server"), (3, "faechain.ledger.storage")]
    assert [n for _, _, n in got if n and n.startswith("_")] == ["_x"]


LONG_FILE = 500  # lines (CONTRIBUTING.md: one concept per module)


def test_a_module_over_500_lines_says_why_at_its_top():
    """A newcomer should be able to read a module top to bottom; one that grows past
    LONG_FILE lines either splits by concept or states why it is one file."""
    unexplained = []
    for _, path in modules():
        text = path.read_text()
        if text.count("\n") <= LONG_FILE:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "Why one file" not in doc:
            unexplained.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert unexplained == [], ("split these, or say at the top why each is one file (\"Why one file ...\"):\n"
                               + "\n".join(unexplained))

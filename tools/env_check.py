"""Do the conda environments hold what their rules import?

Statically: each rule's `script:` is parsed, and so is every `digitstudy` module it reaches
(directly or through other package modules, imports inside functions included). The
third-party modules found are mapped to the distributions that provide them, and those must
all be listed in the rule's `conda:` file. tests/test_envs.py runs this check.

For real (CI, `--build DIR`): conda channels are not reachable here, so each env's pip list is
installed into a fresh virtual environment, the env's post-deploy script installs the package,
and every module that the env's rules reach is imported there.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "digitstudy"
PACKAGE_ROOT = REPO / "src"
# Provided to every job by Snakemake itself (the `snakemake` object of scripts).
PROVIDED = {"snakemake", PACKAGE}


@dataclass(frozen=True)
class Rule:
    name: str
    env_file: Path | None
    script: Path | None


def workflow_rules(rules_dir: Path = REPO / "rules") -> list[Rule]:
    """Each rule's conda file and script, read from the .smk files (paths are relative to them)."""
    rules = []
    for smk in sorted(rules_dir.glob("*.smk")):
        blocks = re.split(r"^rule (\w+):\s*$", smk.read_text(), flags=re.MULTILINE)
        for name, body in zip(blocks[1::2], blocks[2::2]):
            env = re.search(r'^\s+conda:\s*\n\s+"([^"]+)"', body, re.MULTILINE)
            script = re.search(r'^\s+script:\s*\n\s+"([^"]+)"', body, re.MULTILINE)
            rules.append(
                Rule(
                    name,
                    (smk.parent / env.group(1)).resolve() if env else None,
                    (smk.parent / script.group(1)).resolve() if script else None,
                )
            )
    return rules


def _module_file(module: str) -> Path | None:
    base = PACKAGE_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str | None) -> set[str]:
    """Absolute names of everything `path` imports, anywhere in the file."""
    package = None
    if module is not None:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    # Imports under `if TYPE_CHECKING:` never run.
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            found.add(prefix)
            # `from pkg import name` may import a submodule called name.
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def package_imports() -> dict[str, set[str]]:
    """Every package module and the package modules it imports (anywhere in the file)."""
    graph = {}
    for file in sorted((PACKAGE_ROOT / PACKAGE).rglob("*.py")):
        parts = file.relative_to(PACKAGE_ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[module] = {
            name if _module_file(name) else name.rpartition(".")[0]
            for name in _imports(file, module)
            if name.partition(".")[0] == PACKAGE
        } - {module, PACKAGE}
        graph[module] = {name for name in graph[module] if _module_file(name)}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle of imports between package modules, once (Tarjan's strongly connected parts)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                cycles.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def reached_modules(script: Path) -> tuple[set[str], set[str]]:
    """(package modules, third-party top-level modules) that running `script` may import."""
    package_modules: set[str] = set()
    external: set[str] = set()
    pending = [(script, None)]
    while pending:
        path, module = pending.pop()
        for name in _imports(path, module):
            top = name.partition(".")[0]
            if top != PACKAGE:
                if top not in sys.stdlib_module_names and top != "__future__":
                    external.add(top)
                continue
            # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c.
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                candidate = ".".join(parts[:depth])
                file = _module_file(candidate)
                if file is not None and candidate not in package_modules:
                    package_modules.add(candidate)
                    pending.append((file, candidate))
    return package_modules, external - PROVIDED


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions_of(modules: set[str]) -> tuple[set[str], set[str]]:
    """(distributions providing `modules`, modules no installed distribution provides)."""
    provided = importlib.metadata.packages_distributions()
    found, unknown = set(), set()
    for module in modules:
        if module in provided:
            found.update(_canonical(d) for d in provided[module])
        else:
            unknown.add(module)
    return found, unknown


def env_requirements(env_file: Path) -> list[str]:
    env = yaml.safe_load(env_file.read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def env_distributions(env_file: Path) -> set[str]:
    names = set()
    for requirement in env_requirements(env_file):
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9_.-]*", requirement)
        if match:
            names.add(_canonical(match.group(0)))
    return names


def missing_by_rule(rules: list[Rule] | None = None) -> dict[str, list[str]]:
    """Problems per rule: distributions its script needs that its env does not list."""
    problems = {}
    for rule in rules or workflow_rules():
        if rule.script is None:
            continue
        if rule.env_file is None:
            problems[rule.name] = ["no conda: environment"]
            continue
        _, external = reached_modules(rule.script)
        needed, unknown = distributions_of(external)
        listed = env_distributions(rule.env_file)
        messages = [f"{d} (imported, not in {rule.env_file.name})" for d in sorted(needed - listed)]
        messages += [f"module {m} is provided by no installed distribution" for m in sorted(unknown)]
        if messages:
            problems[rule.name] = messages
    return problems


def modules_by_env(rules: list[Rule] | None = None) -> dict[Path, set[str]]:
    """Every module (package and third-party) that the rules using an env may import."""
    by_env: dict[Path, set[str]] = {}
    for rule in rules or workflow_rules():
        if rule.script is None or rule.env_file is None:
            continue
        package_modules, external = reached_modules(rule.script)
        by_env.setdefault(rule.env_file, set()).update(package_modules | external)
    return by_env


def build_and_import(env_file: Path, modules: set[str], where: Path) -> None:
    """Install the env's pip list into a fresh venv, run its post-deploy script, import modules."""
    prefix = where / env_file.stem
    venv.create(prefix, clear=True, with_pip=True)
    python = prefix / "bin" / "python"
    requirements = where / f"{env_file.stem}.requirements.txt"
    requirements.write_text("\n".join(env_requirements(env_file)) + "\n")
    run = lambda *cmd, **kw: subprocess.run(cmd, check=True, **kw)  # noqa: E731
    # No pip cache: the envs hold several GiB of wheels (TensorFlow, PyTorch) that are used once.
    run(str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir", "-r", str(requirements))
    post_deploy = env_file.with_suffix(".post-deploy.sh")
    environment = {
        **os.environ,
        "PATH": f"{prefix / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "DIGITSTUDY_ROOT": str(REPO),
        "CONDA_PREFIX": str(prefix),
    }
    environment.pop("PYTHONPATH", None)
    run("sh", str(post_deploy), env=environment, cwd=where)
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    # Run from elsewhere so that the checkout's folders cannot stand in for installed modules.
    run(str(python), "-c", code, *sorted(modules), env=environment, cwd=where)
    print(f"{env_file.name}: {len(modules)} modules import in a fresh environment built from its pip list")
    # One env on disk at a time: together they would not fit a small CI disk.
    shutil.rmtree(prefix)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build",
        type=Path,
        metavar="DIR",
        help="also build each env's pip equivalent under DIR and import its modules",
    )
    args = parser.parse_args(argv)
    problems = missing_by_rule()
    for rule, messages in problems.items():
        print(f"rule {rule}: " + "; ".join(messages))
    if problems:
        return 1
    print("every rule's conda file lists the distributions its script imports")
    if args.build:
        args.build.mkdir(parents=True, exist_ok=True)
        for env_file, modules in sorted(modules_by_env().items()):
            build_and_import(env_file, modules, args.build.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Puts the diagrams, forms and calendar data (top-level folders of the checkout) into the wheel as
``service/_data/{bpmn,forms,dmn,calendar}``: an installed branchflow needs no checkout. Everything else is in
pyproject.toml."""
from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("bpmn", "forms", "dmn", "calendar")


class BuildWithData(build_py):
    """``build_py`` that also copies the data folders into the built package."""

    def run(self):
        super().run()
        root = Path(__file__).resolve().parent
        for name in DATA:
            target = Path(self.build_lib) / "service" / "_data" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})

# The distribution is declared in pyproject.toml; this file is kept for tools that look for it.
from setuptools import setup

setup()

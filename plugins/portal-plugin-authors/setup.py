from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="portal-plugin-authors",
    version="1.0.0",
    description="The plugin authors' section of the portal, a documentation portal for Python backend developers.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.11",
    install_requires=["backend-portal>=1.0,<2"],
    entry_points={"portal.plugins": ["plugin-authors = portal_plugin_authors"]},
    classifiers=["Framework :: Pyramid", "Programming Language :: Python :: 3"],
)

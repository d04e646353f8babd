from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

requires = [
    "alembic>=1.13",
    "argon2-cffi>=23.1",
    "markdown-it-py>=3.0",
    "mdit-py-plugins>=0.4",
    "nh3>=0.2.17",
    "plaster_pastedeploy",
    "pygments>=2.17",
    "pyramid>=2.0.2,<3",
    "pyramid-jinja2>=2.10",
    "pyramid-retry>=2.1",
    "pyramid-tm>=2.5",
    "pyyaml>=6.0",
    "sqlalchemy>=2.0,<3",
    "transaction>=4.0",
    "waitress>=3.0",
    "zope.sqlalchemy>=3.1",
]

extras = {
    # PostgreSQL in production: psycopg 3 with its binary wheel.
    "postgresql": ["psycopg[binary]>=3.1"],
    "dev": ["pyramid-debugtoolbar>=4.12"],
    # The test kit for plugin authors (portal.testing): what a plugin's tests need.
    "testkit": ["pytest>=8.0", "webtest>=3.0"],
    "testing": [
        "build>=1.0",
        "jsonschema>=4.18",
        "playwright>=1.45",
        "psycopg[binary]>=3.1",
        "pytest>=8.0",
        "pyramid-debugtoolbar>=4.12",
        "webtest>=3.0",
    ],
}

setup(
    name="backend-portal",
    version="1.0.0",
    description="A documentation portal for Python backend developers, built on Pyramid and plugins.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    classifiers=[
        "Framework :: Pyramid",
        "Programming Language :: Python :: 3",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Application",
    ],
    packages=find_packages(include=["portal", "portal.*"]),
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.11",
    install_requires=requires,
    extras_require=extras,
    entry_points={
        "paste.app_factory": ["main = portal:main"],
        "console_scripts": ["portal = portal.scripts.main:main"],
        # The test kit for the portal and plugin authors (portal/testing.py).
        "pytest11": ["portal = portal.testing"],
    },
)

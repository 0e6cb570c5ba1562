import os
import re

from setuptools import find_namespace_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def read(*parts: str) -> str:
    with open(os.path.join(HERE, *parts), encoding="utf-8") as f:
        return f.read()


VERSION = re.search(r'^__version__ = "([^"]+)"', read("esi", "__init__.py"), re.M).group(1)

TESTING = [
    "vcrpy>=6.0",
    "responses>=0.25",
    "factory_boy>=3.3",
    "pytest>=8.0",
    "pytest-django>=4.8",
    "pytest-socket>=0.7",
    "werkzeug>=3.0",
    "redis>=5.0",  # the tests that share limit state between processes through Redis
    "setuptools>=77",  # tests/test_packaging.py builds the sdist and the wheel
    "sphinx>=7.0",  # tests/test_docs.py builds the docs and checks what they show
]
DOCS = ["sphinx>=7.0"]
FUZZ = ["schemathesis>=4.0"]  # make fuzz: the fake ESI against its own specs
LINT = ["ruff>=0.6", "mypy>=1.10", "django-stubs>=5.0"]

setup(
    name="django-esi",
    version=VERSION,
    description="Django app for the EVE Swagger Interface (ESI): client, EVE SSO v2, and an offline fake ESI for tests.",
    long_description=read("README.md"),
    long_description_content_type="text/markdown",
    # An SPDX expression (setuptools >= 77: License-Expression), which replaces the License classifier.
    license_expression="GPL-3.0-or-later",
    license_files=["LICENSE"],
    url="https://github.com/django-esi/django-esi",
    python_requires=">=3.10",
    # Namespace discovery: the data directories (templates, static, snapshots) are packages too,
    # so setuptools ships their files without warning that they are missing from `packages`.
    # The project's root is the package root: `pip install -e` then adds it with a plain .pth
    # file instead of a meta path finder, which setuptools warns about at length.
    package_dir={"": "."},
    packages=find_namespace_packages(
        include=["esi", "esi.*", "esi_testing", "esi_testing.*", "spec_snapshots", "spec_snapshots.*"],
        exclude=["*.__pycache__"],
    ),
    include_package_data=True,
    package_data={
        "esi": [
            "py.typed",
            "stubs.pyi",
            "templates/esi/*.html",
            "static/esi/*",
            "static/esi/**/*",
            "migrations/*.py",
        ],
        "esi_testing": [
            "py.typed",
            "replay_key.pem",
            "data/*.json",
            "data/README.md",
            "data/**/*.json",
            "fake/templates/*.html",
        ],
        "spec_snapshots": [
            "py.typed",
            "manifest.json",
            "README.md",
            "swagger2/*/*.json.gz",
            "openapi3/*/*.json.gz",
        ],
    },
    install_requires=[
        "Django>=4.2,<6.0",
        "bravado>=12.0,<13.0",
        # spec_snapshots validates imported Swagger specs with it (bravado-core needs it too)
        "swagger-spec-validator>=3.0",
        "requests>=2.31,<3.0",
        "requests-oauthlib>=1.3",
        "PyJWT[crypto]>=2.8",
        "celery>=5.3",
        # the OpenAPI-era face's models, imported on its first call only
        "pydantic>=2.5,<3",
    ],
    extras_require={
        "testing": TESTING,
        "docs": DOCS,
        "fuzz": FUZZ,
        # orjson decodes ESI's JSON bodies about 3x faster (esi.http.jsonbody); optional.
        "fast": ["orjson>=3.9"],
        # playwright drives the system Chromium in the browser test; it never downloads a browser.
        "dev": TESTING
        + DOCS
        + LINT
        + ["orjson>=3.9", "tox>=4", "psycopg[binary]>=3.1", "redis>=5.0", "playwright>=1.40"],
    },
    entry_points={"pytest11": ["esi_testing = esi_testing.plugin"]},
    classifiers=[
        "Environment :: Web Environment",
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Framework :: Pytest",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Internet :: WWW/HTTP",
        "Typing :: Typed",
    ],
)

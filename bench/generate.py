"""Generate a throw-away plugin distribution for scale tests.

    python bench/generate.py DEST --sections 300 --pages 5

writes into DEST an importable package ``portal_bench_scale`` whose ``includeme`` adds
SECTIONS sections of PAGES pages each (plus each section's index), and a
``portal_bench_scale-1.0.dist-info`` with the ``portal.plugins`` entry point, so a portal
started with DEST on ``PYTHONPATH`` finds it exactly as it finds a pip-installed plugin.
Nothing is installed into any environment; delete DEST to remove it.
"""

import argparse
import random
import shutil
from pathlib import Path

WORDS = (
    "request response session transaction cache queue worker database index query "
    "migration schema router view template plugin settings logging metrics thread "
    "process socket stream buffer token cookie header status retry timeout pool "
    "connection cursor commit rollback replica shard partition backup deploy container "
    "image registry secret config probe health ready latency throughput benchmark"
).split()

PAGE = """---
title: {title}
summary: {summary}
order: {order}
---

# {title}

{para1}

## Example

```python
def handle_{name}(request):
    # {comment}
    value = request.params.get("{word}", "default")
    return {{"{word}": value, "status": "ok"}}
```

{para2}

## Notes

- {bullet1}
- {bullet2}
- {bullet3}
"""


def sentence(rng, n=12):
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng, sentences=4):
    return " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(sentences))


def page_text(rng, title, order, name):
    return PAGE.format(
        title=title, summary=sentence(rng, 8), order=order, name=name.replace("-", "_"),
        para1=paragraph(rng), para2=paragraph(rng), comment=sentence(rng, 6),
        word=rng.choice(WORDS), bullet1=sentence(rng, 6), bullet2=sentence(rng, 7),
        bullet3=sentence(rng, 5),
    )


def generate(dest, sections=300, pages=5, seed=7, package="portal_bench_scale"):
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    rng = random.Random(seed)
    pkg = dest / package
    content = pkg / "content"
    names = []
    for s in range(sections):
        name = f"scale-{s:04d}"
        names.append(name)
        folder = content / name
        folder.mkdir(parents=True)
        (folder / "index.md").write_text(
            page_text(rng, f"Scale section {s}", 0, name), encoding="utf-8")
        for p in range(pages):
            page = f"topic-{p:03d}-{rng.choice(WORDS)}"
            (folder / f"{page}.md").write_text(
                page_text(rng, f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {s}-{p}",
                          p + 1, page),
                encoding="utf-8")
    (pkg / "__init__.py").write_text(
        '"""A generated plugin for scale tests (bench/generate.py)."""\n\n'
        f"SECTIONS = {names!r}\n\n\n"
        "def includeme(config):\n"
        "    for i, name in enumerate(SECTIONS):\n"
        f'        config.add_portal_section(name, title=f"Scale {{i}}", content="{package}:content/" + name,\n'
        '                                  summary="Generated for scale tests.", order=1000 + i)\n',
        encoding="utf-8",
    )
    dist = package.replace("_", "-")
    info = dest / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[portal.plugins]\n{dist.split('-', 1)[1]} = {package}\n")
    return dest, names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest")
    parser.add_argument("--sections", type=int, default=300)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--package", default="portal_bench_scale")
    args = parser.parse_args(argv)
    dest, names = generate(args.dest, args.sections, args.pages, package=args.package)
    print(f"{dest}: {len(names)} sections x {args.pages + 1} pages (package {args.package})")


if __name__ == "__main__":
    main()

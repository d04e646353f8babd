"""Draw the portal's icons and share images (run by hand when the design changes; the output
is committed, so nothing is drawn at run time and nothing needs Pillow in production).

    python -m venv /tmp/img && /tmp/img/bin/pip install pillow
    /tmp/img/bin/python tools/make_images.py [--section NAME "Title" OUT.png ...]

Writes portal/static/images/{favicon.svg, favicon-32.png, favicon.ico, apple-touch-icon.png,
icon-192.png, icon-512.png, share.png}. With --section, also a 1200x630 share image for a
section (for a plugin's static folder; see docs/plugins.md, share_image).
"""

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "portal" / "static" / "images"
BLUE, INK, WHITE, MUTED = "#0a53be", "#0f1419", "#ffffff", "#a7b1bc"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_REGULAR = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="#0a53be"/>
<path d="M18 22l12 10-12 10" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>
<path d="M34 44h14" stroke="#fff" stroke-width="6" stroke-linecap="round"/>
</svg>
"""


def logo(size):
    """The mark: a prompt (>_) on a rounded blue square, drawn at 4x and scaled down."""
    big = size * 4
    k = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=14 * k, fill=BLUE)
    width = round(6 * k)
    draw.line([(18 * k, 22 * k), (30 * k, 32 * k), (18 * k, 42 * k)], fill=WHITE, width=width, joint="curve")
    for x, y in ((18, 22), (30, 32), (18, 42)):
        draw.ellipse(((x - 3) * k, (y - 3) * k, (x + 3) * k, (y + 3) * k), fill=WHITE)
    draw.line([(34 * k, 44 * k), (48 * k, 44 * k)], fill=WHITE, width=width)
    for x in (34, 48):
        draw.ellipse(((x - 3) * k, 41 * k, (x + 3) * k, 47 * k), fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def share(title, subtitle, out):
    image = Image.new("RGB", (1200, 630), INK)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1200, 12), fill=BLUE)
    image.paste(logo(160), (80, 90), logo(160))
    big, small = ImageFont.truetype(FONT, 76), ImageFont.truetype(FONT_REGULAR, 40)
    y = 310
    for line in wrap(draw, title, big, 1040)[:2]:
        draw.text((80, y), line, font=big, fill=WHITE)
        y += 92
    for line in wrap(draw, subtitle, small, 1040)[:2]:
        draw.text((80, y + 10), line, font=small, fill=MUTED)
        y += 52
    image.save(out, optimize=True)


def wrap(draw, text, font, width):
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    return lines + ([line] if line else [])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--section", nargs=3, action="append", metavar=("NAME", "TITLE", "OUT"), default=[])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "favicon.svg").write_text(SVG, encoding="utf-8")
    logo(32).save(OUT / "favicon-32.png", optimize=True)
    logo(48).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    for size, name in ((180, "apple-touch-icon.png"), (192, "icon-192.png"), (512, "icon-512.png")):
        logo(size).convert("RGB").save(OUT / name, optimize=True) if name.startswith("apple") else logo(size).save(OUT / name, optimize=True)
    share("The portal", "Documentation for Python backend developers", OUT / "share.png")
    for name, title, out in args.section:
        share(title, f"The portal: documentation for Python backend developers ({name})", out)


if __name__ == "__main__":
    main()

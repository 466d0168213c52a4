"""pillow: image plugins registered by name, codecs in C extensions, libraries in pillow.libs."""

import io

from PIL import Image, ImageDraw, ImageFont, features

img = Image.new("RGB", (40, 20), (255, 0, 0))
ImageDraw.Draw(img).rectangle((10, 5, 30, 15), fill=(0, 0, 255))
for fmt in ("PNG", "JPEG", "WEBP", "TIFF", "GIF", "BMP"):
    buf = io.BytesIO()
    img.save(buf, fmt)
    buf.seek(0)
    back = Image.open(buf)
    print(fmt, back.format, back.size, back.mode)
print(features.check("freetype2"), features.check("webp"), features.check("jpg"))
font = ImageFont.load_default(size=12)
print(type(font).__name__)

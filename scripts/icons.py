#!/usr/bin/env python3
"""Draws the app's icons (PNG) into public/icons: a white "D" on the theme colour.

Plain Python (zlib only), so it runs anywhere: python3 scripts/icons.py
"""
import os
import struct
import zlib

THEME = (0x1F, 0x5F, 0x8B)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = os.path.join(os.path.dirname(__file__), "..", "public", "icons")


def inside_d(x, y, scale):
    """Whether (x, y) in 0..1 lies on the letter, drawn at `scale` around the centre."""
    x = (x - 0.5) / scale + 0.5
    y = (y - 0.5) / scale + 0.5

    def solid(x, y, grow):
        top, bottom = 0.26 - grow, 0.74 + grow
        left, mid = 0.32 - grow, 0.48
        if not (top <= y <= bottom) or x < left:
            return False
        if x <= mid:
            return True
        rx, ry = 0.22 + grow, 0.24 + grow
        return ((x - mid) / rx) ** 2 + ((y - 0.5) / ry) ** 2 <= 1.0

    return solid(x, y, 0.0) and not solid(x, y, -0.075)


def inside_rounded(x, y, radius):
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def png(size, maskable):
    rows = []
    samples = 3  # supersampling per axis, for smooth edges
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    if not maskable and not inside_rounded(x, y, 0.18):
                        continue
                    colour = WHITE if inside_d(x, y, 0.8 if maskable else 1.0) else THEME
                    acc[0] += colour[0]
                    acc[1] += colour[1]
                    acc[2] += colour[2]
                    acc[3] += 255
            n = samples * samples
            alpha = acc[3] // n
            if alpha:
                row += bytes([acc[0] * 255 // acc[3], acc[1] * 255 // acc[3], acc[2] * 255 // acc[3], alpha])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(png(size, maskable))
        print("wrote", name)

"""Generate the world base map used on the brochure's overview page.

Run once by hand; the output is committed and this script is not part of the build::

    python scripts/make_world_map.py path/to/countries-110m.json > assets/maps/world.svg

``countries-110m.json`` comes from the npm package ``world-atlas@2`` (Natural Earth 1:110m
country geometries as TopoJSON; the data is in the public domain). Get it with, for example,
``npm install world-atlas@2`` in a scratch folder; node is not needed afterwards, because the
TopoJSON is decoded here with the standard library alone.

Projection: plain equirectangular, x = longitude and y = -latitude, so a point at
(lon, lat) sits at (lon, -lat) in the SVG's user space. The viewBox is cropped to latitudes
84 (top) to -58 (bottom); polygons lying wholly south of the crop (Antarctica) are dropped.
world-atlas does not cut rings at the antimeridian (Fiji and Chukotka cross it), so each ring
is unwrapped to continuous longitudes and clipped to -180..180, once per 360-degree shift.
Coordinates are rounded to one decimal. Each country is drawn as its own path, filled with a
thin light stroke, on a transparent background.
"""

import json
import sys
from pathlib import Path

LAT_TOP = 84
LAT_BOTTOM = -58
FILL = "#E6DCCF"
STROKE = "#FBF7F2"
STROKE_WIDTH = "0.25"

Point = tuple[float, float]


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Undo the delta encoding and quantization of every arc, giving (lon, lat) points."""
    (kx, ky), (dx, dy) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for qx, qy in arc:
            x += qx
            y += qy
            points.append((x * kx + dx, y * ky + dy))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[Point]]) -> list[Point]:
    """Join a ring's arcs; a negative index ~i means arc i traversed backwards."""
    points: list[Point] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their end point; keep it once.
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict) -> list[list[list[int]]]:
    """The polygons (lists of rings of arc indexes) of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def unwrap(points: list[Point]) -> list[Point]:
    """Shift longitudes by multiples of 360 so that no step jumps across the antimeridian."""
    out = [points[0]]
    for lon, lat in points[1:]:
        prev = out[-1][0]
        lon += 360 * round((prev - lon) / 360)
        out.append((lon, lat))
    if abs(out[-1][0] - out[0][0]) > 180:
        raise ValueError("ring encloses a pole; equirectangular clipping is not supported")
    return out


def clip(points: list[Point], bound: float, keep_below: bool) -> list[Point]:
    """Sutherland-Hodgman: clip a closed ring to lon <= bound (or lon >= bound)."""

    def inside(point: Point) -> bool:
        return point[0] <= bound if keep_below else point[0] >= bound

    out: list[Point] = []
    for i, current in enumerate(points):
        previous = points[i - 1]
        if inside(current) != inside(previous):
            t = (bound - previous[0]) / (current[0] - previous[0])
            out.append((bound, previous[1] + t * (current[1] - previous[1])))
        if inside(current):
            out.append(current)
    return out


def split_at_antimeridian(points: list[Point]) -> list[list[Point]]:
    """The parts of a ring that fall within -180..180, after unwrapping its longitudes."""
    ring = unwrap(points)
    parts = []
    for shift in (-360, 0, 360):
        part = [(lon + shift, lat) for lon, lat in ring]
        part = clip(clip(part, 180, keep_below=True), -180, keep_below=False)
        if part:
            parts.append(part)
    return parts


def fmt(value: float) -> str:
    """Round to one decimal and drop a trailing '.0' (and the sign of zero)."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def ring_path(points: list[Point]) -> str:
    """SVG path data for one closed ring, projected and rounded; '' if it collapses."""
    coords: list[str] = []
    for lon, lat in points:
        coord = f"{fmt(lon)},{fmt(-lat)}"
        if not coords or coord != coords[-1]:
            coords.append(coord)
    if len(coords) > 1 and coords[0] == coords[-1]:
        coords.pop()
    if len(coords) < 3:
        return ""
    return "M" + " ".join(coords) + "Z"


def country_path(geometry: dict, arcs: list[list[Point]]) -> str:
    """Path data for all polygons of one country that reach into the cropped latitudes."""
    parts = []
    for polygon in polygons(geometry):
        rings = [ring_points(ring, arcs) for ring in polygon]
        if max(lat for _, lat in rings[0]) < LAT_BOTTOM:
            continue
        for points in rings:
            parts.extend(ring_path(part) for part in split_at_antimeridian(points))
    return "".join(parts)


def make_svg(topology: dict) -> str:
    arcs = decode_arcs(topology)
    paths = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        data = country_path(geometry, arcs)
        if data:
            paths.append(f'<path d="{data}"/>')
    height = LAT_TOP - LAT_BOTTOM
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<!-- Natural Earth 1:110m countries (public domain) via the npm package world-atlas;"
            " generated by scripts/make_world_map.py. Equirectangular: x = lon, y = -lat. -->",
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-180 {-LAT_TOP} 360 {height}"'
            f' width="360" height="{height}">',
            f'<g fill="{FILL}" fill-rule="evenodd" stroke="{STROKE}"'
            f' stroke-width="{STROKE_WIDTH}" stroke-linejoin="round">',
            *paths,
            "</g>",
            "</svg>",
            "",
        ]
    )


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/make_world_map.py path/to/countries-110m.json")
    topology = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.stdout.write(make_svg(topology))


if __name__ == "__main__":
    main()

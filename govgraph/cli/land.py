"""`govgraph land ...`: the land registry's offline tools (geometry validation, as imports use it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The land registry's tools.", no_args_is_help=True)
MAX_FILE_BYTES = 16 * 1024 * 1024


@app.command("validate-geometry")
def validate_geometry(
    file: Annotated[Path, typer.Argument(help="A GeoJSON (RFC 7946) or JSON-FG object.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Validate a GeoJSON/JSON-FG object with the registry's rules: exit 0 if valid, 1 if not (with every
    reason), 2 if the file cannot be read as JSON. For a Polygon, MultiPolygon or a Feature of one, also
    print the geodesic area of the parcel it would register."""
    from govgraph.agencies.land.geometry import SURFACES, GeometryError, spatial_unit, validate
    from zk.errors import MalformedInput
    from zk.json_input import load_json

    try:
        data = file.read_bytes()
        document = load_json(data, what=str(file), max_bytes=MAX_FILE_BYTES)
    except (OSError, MalformedInput) as exc:
        typer.echo(f"govgraph: cannot read {file}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    reasons = validate(document)
    kind = document.get("type") if isinstance(document, dict) else None
    verdict: dict = {"file": str(file), "valid": not reasons, "type": kind, "reasons": reasons}
    surface = kind in SURFACES or (
        kind == "Feature"
        and isinstance(document.get("geometry"), dict)
        and document["geometry"].get("type") in SURFACES
    )
    if not reasons and surface:
        try:
            verdict["area"] = round(spatial_unit(document).area_m2, 3)
        except GeometryError as exc:  # valid GeoJSON, but not a parcel (e.g. too many positions)
            verdict["parcel"] = list(exc.reasons)
    if as_json:
        typer.echo(json.dumps(verdict, indent=2))
    elif reasons:
        typer.echo(f"{file}: invalid {kind or 'object'}")
        for reason in reasons:
            typer.echo(f"  {reason}")
    else:
        area = f", geodesic area {verdict['area']} m²" if "area" in verdict else ""
        typer.echo(f"{file}: valid {kind}{area}")
    raise typer.Exit(code=1 if reasons else 0)

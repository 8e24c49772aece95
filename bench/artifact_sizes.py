"""Built artifact sizes: each function's code and the common layer, zipped as Lambda receives them,
against Lambda's deployment limits (50 MB zipped for a direct upload, 250 MB unzipped for a function
with its layers).

The sizes are read from `sam build`'s output (.aws-sam/build, what `make build` leaves) when it is
there; otherwise from the sources (functions/<name>/ and layers/common/), which leaves out the
third-party packages `sam build` installs: the row says which it measured.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template

from bench.report import Row

ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
BUILD_DIR = PROJECT_ROOT / ".aws-sam" / "build"
LAYER_ID = "CommonLayer"
SKIPPED = {"__pycache__", ".mypy_cache", ".pytest_cache", "connect_zendesk.egg-info"}


def zipped_size(folder: Path) -> tuple[int, int]:
    """(zipped bytes, unzipped bytes) of `folder` deflated into one archive, as sam packages it."""
    buffer = io.BytesIO()
    unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not SKIPPED.intersection(path.relative_to(folder).parts):
                archive.write(path, path.relative_to(folder).as_posix())
                unzipped += path.stat().st_size
    return len(buffer.getvalue()), unzipped


def _folders(template: Template, build_dir: Path) -> tuple[dict[str, Path], bool]:
    code = {  # folder name -> (logical id, source folder); no need to resolve anything else
        (PROJECT_ROOT / str(body["Properties"]["CodeUri"])).resolve().name: (
            logical_id,
            (PROJECT_ROOT / str(body["Properties"]["CodeUri"])).resolve(),
        )
        for logical_id, body in template.resources_of_type("AWS::Serverless::Function").items()
    }
    built = build_dir / LAYER_ID
    if built.is_dir() and all((build_dir / logical_id).is_dir() for logical_id, _ in code.values()):
        folders = {name: build_dir / logical_id for name, (logical_id, _) in code.items()}
        return {**folders, "common layer": built}, True
    folders = {name: source for name, (_, source) in code.items()}
    return {**folders, "common layer": PROJECT_ROOT / "layers" / "common"}, False


def run(template: Template, build_dir: Path = BUILD_DIR) -> list[Row]:
    folders, from_build = _folders(template, build_dir)
    source = "sam build output" if from_build else "sources only (run make build for the packaged size)"
    layer_unzipped = zipped_size(folders["common layer"])[1]
    rows = []
    for name, folder in sorted(folders.items(), key=lambda item: (item[0] == "common layer", item[0])):
        zipped, unzipped = zipped_size(folder)
        with_layer = unzipped if name == "common layer" else unzipped + layer_unzipped
        rows.append(
            Row(
                f"artifact size, {name}",
                f"{zipped:,} B zipped, {with_layer:,} B unzipped"
                + ("" if name == "common layer" else " with the layer"),
                max(zipped / ZIPPED_LIMIT, with_layer / UNZIPPED_LIMIT),
                1.0,
                f"the larger of zipped / 50 MB and unzipped / 250 MB; {source}",
            )
        )
    return rows

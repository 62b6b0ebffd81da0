"""ModelData: named feature arrays with signatures, saved as npz + JSON (never pickle)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ted_data_adapter.errors import ModelDataError

MODEL_DATA_FORMAT = 1
LAYOUTS = ("windows", "dialogues")


@dataclass(frozen=True)
class FeatureSignature:
    """What one feature array holds: the attribute, its last-axis size and dtype."""

    attribute: str
    dim: int
    dtype: str


@dataclass
class ModelData:
    """Training or evaluation data in one of two layouts (see the package README)."""

    features: dict[str, np.ndarray]
    signatures: dict[str, FeatureSignature]
    label_features: np.ndarray
    action_names: list[str]
    layout: str = "windows"
    max_history: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.features["label_ids"].shape[0])

    @property
    def label_ids(self) -> np.ndarray:
        return self.features["label_ids"]

    def subset(self, indices: np.ndarray) -> ModelData:
        """Rows ``indices`` (a view-free copy of just those rows)."""
        return ModelData(
            {name: array[indices] for name, array in self.features.items()},
            dict(self.signatures),
            self.label_features,
            list(self.action_names),
            self.layout,
            self.max_history,
            dict(self.meta),
        )

    def target_label_ids(self) -> np.ndarray:
        """The label of every training target (flattened for the dialogues layout)."""
        if self.layout == "windows":
            return self.label_ids
        return self.label_ids[self.features["target_mask"] > 0]

    def save(self, path: str | Path) -> None:
        """Write ``features.npz`` and ``model_data.json`` into directory ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = dict(self.features)
        arrays["__label_features__"] = self.label_features
        np.savez(folder / "features.npz", **arrays)  # type: ignore[arg-type]
        info = {
            "format": MODEL_DATA_FORMAT,
            "layout": self.layout,
            "max_history": self.max_history,
            "action_names": self.action_names,
            "signatures": {
                name: {"attribute": s.attribute, "dim": s.dim, "dtype": s.dtype}
                for name, s in self.signatures.items()
            },
            "meta": self.meta,
        }
        (folder / "model_data.json").write_text(json.dumps(info, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> ModelData:
        folder = Path(path)
        try:
            info = json.loads((folder / "model_data.json").read_text(encoding="utf-8"))
            with np.load(folder / "features.npz", allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (OSError, ValueError) as e:
            raise ModelDataError(f"cannot read model data in {folder}: {e}") from e
        if info.get("format") != MODEL_DATA_FORMAT:
            raise ModelDataError(f"{folder}: unsupported model data format {info.get('format')!r}")
        if info.get("layout") not in LAYOUTS:
            raise ModelDataError(f"{folder}: unknown layout {info.get('layout')!r}")
        label_features = arrays.pop("__label_features__", None)
        signatures = {name: FeatureSignature(**s) for name, s in info["signatures"].items()}
        missing = sorted(set(signatures) - set(arrays))
        if label_features is None or missing:
            raise ModelDataError(f"{folder}: missing arrays {missing or ['label_features']}")
        return cls(
            arrays,
            signatures,
            label_features,
            list(info["action_names"]),
            info["layout"],
            info["max_history"],
            dict(info.get("meta", {})),
        )

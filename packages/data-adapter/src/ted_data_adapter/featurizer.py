"""Vectorized featurization of conversations into ModelData, and of live conversations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ted_data_adapter.errors import DataError, UnknownSymbolError
from ted_data_adapter.events import Event
from ted_data_adapter.gc_pause import gc_paused
from ted_data_adapter.model_data import LAYOUTS, FeatureSignature, ModelData
from ted_data_adapter.tracker import Replayer, StateKey
from ted_data_adapter.vocabulary import ATTRIBUTES, Vocabulary


class StateFeaturizer:
    """Turns conversations into multi-hot turn features with the vocabulary's indices."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.replayer = Replayer(vocab)
        self.dims = vocab.attribute_dims

    # --- state tables -------------------------------------------------------------------
    def _table(self, keys: Sequence[StateKey]) -> dict[str, np.ndarray]:
        """Features of each distinct state; one extra all-zero row at the end for padding."""
        count = len(keys)
        rows = np.arange(count)
        table = {name: np.zeros((count + 1, dim), np.float32) for name, dim in self.dims.items()}
        if count == 0:
            return table
        intents = np.fromiter((k[0] for k in keys), np.int64, count)
        actions = np.fromiter((k[2] for k in keys), np.int64, count)
        loops = np.fromiter((k[4] for k in keys), np.int64, count)
        for name, index in (("intent", intents), ("action_name", actions), ("active_loop", loops)):
            has = index >= 0
            table[name][rows[has], index[has]] = 1.0
        lengths = np.fromiter((len(k[1]) for k in keys), np.int64, count)
        if lengths.any():
            tags = np.fromiter((t for k in keys for t in k[1]), np.int64, int(lengths.sum()))
            table["entities"][np.repeat(rows, lengths), tags] = 1.0
        if self.dims["slots"]:
            table["slots"][:count] = np.asarray([k[3] for k in keys], np.float32)
        return table

    def _replay_all(
        self, conversations: Sequence[Sequence[Event]]
    ) -> tuple[list[StateKey], np.ndarray, np.ndarray, np.ndarray]:
        """Distinct states, flat state ids, flat labels and each conversation's length."""
        interned: dict[StateKey, int] = {}
        ids: list[int] = []
        labels: list[int] = []
        lengths: list[int] = []
        for number, events in enumerate(conversations):
            try:
                states, conv_labels = self.replayer.replay(events)
            except UnknownSymbolError as e:
                raise e.in_conversation(number) from e
            for key in states:
                ids.append(interned.setdefault(key, len(interned)))
            labels.extend(conv_labels)
            lengths.append(len(conv_labels))
        return (
            list(interned),
            np.asarray(ids, np.int64),
            np.asarray(labels, np.int32),
            np.asarray(lengths, np.int64),
        )

    # --- training data ------------------------------------------------------------------
    def featurize(
        self,
        conversations: Sequence[Sequence[Event]],
        max_history: int | None,
        layout: str = "windows",
        deduplicate: bool = True,
    ) -> ModelData:
        """ModelData for training: one row per example (windows) or per conversation."""
        if layout not in LAYOUTS:
            raise DataError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
        if max_history is not None and max_history < 1:
            raise DataError(f"max_history must be at least 1 or None, got {max_history}")
        with gc_paused():
            keys, ids, labels, lengths = self._replay_all(conversations)
        table = self._table(keys)
        pad = len(keys)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        conv_of = np.repeat(np.arange(len(lengths)), lengths)
        longest = int(lengths.max()) if len(lengths) else 1
        history = max_history if max_history is not None else max(longest, 1)
        windows = self._windows(ids, starts[conv_of] if len(ids) else ids, history, pad)
        first = self._first_occurrences(windows, labels) if deduplicate else np.arange(len(labels))
        if layout == "windows":
            chosen = windows[first]
            features = {name: table[name][chosen] for name in ATTRIBUTES}
            features["turn_mask"] = (chosen != pad).astype(np.float32)
            features["label_ids"] = labels[first]
        else:
            steps = max(longest, 1)
            grid = np.full((len(lengths), steps), pad, np.int64)
            label_grid = np.full((len(lengths), steps), -1, np.int32)
            target = np.zeros((len(lengths), steps), np.float32)
            position = np.arange(len(ids)) - starts[conv_of] if len(ids) else ids
            grid[conv_of, position] = ids
            label_grid[conv_of, position] = labels
            target[conv_of[first], position[first]] = 1.0
            features = {name: table[name][grid] for name in ATTRIBUTES}
            features["turn_mask"] = (grid != pad).astype(np.float32)
            features["label_ids"] = label_grid
            features["target_mask"] = target
        return self._model_data(features, layout, max_history, len(labels))

    @staticmethod
    def _windows(ids: np.ndarray, starts: np.ndarray, history: int, pad: int) -> np.ndarray:
        """[N, history] state ids ending at each example, left-padded with ``pad``."""
        offsets = np.arange(history - 1, -1, -1)
        positions = np.arange(len(ids))[:, None] - offsets[None, :]
        valid = positions >= starts[:, None]
        return (
            np.where(valid, ids[np.clip(positions, 0, None)], pad)
            if len(ids)
            else (np.zeros((0, history), np.int64))
        )

    @staticmethod
    def _first_occurrences(windows: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Indices of the first of each identical (window, label) example, in order."""
        if len(labels) == 0:
            return np.zeros(0, np.int64)
        keys = np.ascontiguousarray(np.concatenate([windows, labels[:, None].astype(np.int64)], 1))
        _, first = np.unique(keys, axis=0, return_index=True)
        return np.sort(first)

    def _model_data(
        self, features: dict[str, np.ndarray], layout: str, max_history: int | None, before: int
    ) -> ModelData:
        signatures = {
            name: FeatureSignature(name, int(self.dims[name]), "float32") for name in ATTRIBUTES
        }
        signatures["turn_mask"] = FeatureSignature("turn_mask", 1, "float32")
        signatures["label_ids"] = FeatureSignature("label_ids", 1, "int32")
        if "target_mask" in features:
            signatures["target_mask"] = FeatureSignature("target_mask", 1, "float32")
        return ModelData(
            features=features,
            signatures=signatures,
            label_features=self.label_features(),
            action_names=list(self.vocab.actions),
            layout=layout,
            max_history=max_history,
            meta={"examples_before_dedup": before},
        )

    def label_features(self) -> np.ndarray:
        """One-hot ``action_name`` features of every action (the label embedding input)."""
        return np.eye(len(self.vocab.actions), dtype=np.float32)

    # --- request time -------------------------------------------------------------------
    def featurize_events(
        self, events: Sequence[Event], max_history: int | None
    ) -> dict[str, np.ndarray]:
        """Model input for one live conversation: windows layout, batch of one."""
        try:
            return self.featurize_events_batch([events], max_history)
        except UnknownSymbolError as e:  # alone, there is no conversation number to name
            raise e.in_conversation(None) from None

    def featurize_events_batch(
        self, conversations: Sequence[Sequence[Event]], max_history: int | None
    ) -> dict[str, np.ndarray]:
        """Model input for several live conversations (the last ``max_history`` states each)."""
        histories = []
        for number, events in enumerate(conversations):
            try:
                states, _ = self.replayer.replay(events, current=True)
            except UnknownSymbolError as e:  # say which conversation of the batch it was
                raise e.in_conversation(number) from None
            histories.append(states if max_history is None else states[-max_history:])
        width = max_history if max_history is not None else max(len(h) for h in histories)
        batch = len(histories)
        out: dict[str, np.ndarray] = {
            name: np.zeros((batch, width, dim), np.float32) for name, dim in self.dims.items()
        }
        mask = np.zeros((batch, width), np.float32)
        rows: dict[str, list[int]] = {"intent": [], "action_name": [], "active_loop": []}
        steps: dict[str, list[int]] = {"intent": [], "action_name": [], "active_loop": []}
        columns: dict[str, list[int]] = {"intent": [], "action_name": [], "active_loop": []}
        tag_rows: list[int] = []
        tag_steps: list[int] = []
        tag_columns: list[int] = []
        for row, states in enumerate(histories):
            if not states:
                continue
            offset = width - len(states)
            mask[row, offset:] = 1.0
            for step, key in enumerate(states, start=offset):
                for name, value in (
                    ("intent", key[0]),
                    ("action_name", key[2]),
                    ("active_loop", key[4]),
                ):
                    if value >= 0:
                        rows[name].append(row)
                        steps[name].append(step)
                        columns[name].append(value)
                for tag in key[1]:
                    tag_rows.append(row)
                    tag_steps.append(step)
                    tag_columns.append(tag)
            if self.dims["slots"]:
                out["slots"][row, offset:] = [key[3] for key in states]
        for name in rows:
            out[name][rows[name], steps[name], columns[name]] = 1.0
        out["entities"][tag_rows, tag_steps, tag_columns] = 1.0
        out["turn_mask"] = mask
        return out

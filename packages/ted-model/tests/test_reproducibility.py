"""Same data, config and seed give bit-identical weights in fresh processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = """
import hashlib, sys
import numpy as np
from ted_data_adapter.featurizer import StateFeaturizer
from ted_data_adapter.project import load_project
from ted_data_adapter.vocabulary import Vocabulary
from ted_model import TEDConfig, training

project = load_project(sys.argv[1])
vocabulary = Vocabulary.from_domain(project.domain)
config = TEDConfig(max_history=5, epochs=3, random_seed=int(sys.argv[2]), batch_size=[8, 16],
                   transformer_size=32, drop_rate_attention=0.1)
data = StateFeaturizer(vocabulary).featurize(
    project.training_conversations(augmentation_factor=2, seed=1), 5, "dialogues")
training.seed_everything(config.random_seed)
model = training.build_model(config, vocabulary.attribute_dims, data.label_features)
training.fit(model, config, data.features, layout="dialogues")
digest = hashlib.sha256()
for weight in model.get_weights():
    digest.update(np.ascontiguousarray(weight).tobytes())
print(digest.hexdigest())
"""


def _train(data_dir: Path, seed: int, hash_seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir / "moodbot"), str(seed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_same_seed_same_weights_in_fresh_processes(data_dir: Path) -> None:
    first = _train(data_dir, 3, hash_seed=1)
    assert len(first) == 64
    assert _train(data_dir, 3, hash_seed=2) == first
    assert _train(data_dir, 4, hash_seed=1) != first

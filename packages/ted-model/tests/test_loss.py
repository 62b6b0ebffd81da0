"""The dot-product loss against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ted_model.layers import DotProductLoss

# One example, two labels, one negative: the negative label must be the other label,
# and the only negative input is the example itself (same label, so masked out).
X = np.array([[1.0, 2.0]], "float32")
LABELS = np.array([[0.5, 0.5], [1.0, -1.0]], "float32")
LABEL_IDS = np.array([0])
SIM_POS = 1 * 0.5 + 2 * 0.5  # 1.5
SIM_IL = 1 * 1.0 + 2 * -1.0  # -1.0
SIM_LL = 0.5 * 1.0 + 0.5 * -1.0  # 0.0


def _loss(**kwargs: object) -> float:
    layer = DotProductLoss(1, seed=0, **kwargs)  # type: ignore[arg-type]
    return float(layer(X, LABEL_IDS, LABELS))


def test_cross_entropy_by_hand() -> None:
    expected = -math.log(
        math.exp(SIM_POS) / (math.exp(SIM_POS) + math.exp(SIM_IL) + math.exp(SIM_LL))
    )
    assert _loss(scale_loss=False) == pytest.approx(expected, rel=1e-5)


def test_scale_loss_by_hand() -> None:
    denominator = math.exp(SIM_POS) + math.exp(SIM_IL) + math.exp(SIM_LL)
    p = math.exp(SIM_POS) / denominator  # 0.766 > 0.5, so scaling applies
    expected = -math.log(p) * ((1 - p) / 0.5) ** 4
    assert _loss(scale_loss=True) == pytest.approx(expected, rel=1e-5)


def test_constrained_similarities_by_hand() -> None:
    def softplus(v: float) -> float:
        return math.log1p(math.exp(v))

    softmax = -math.log(math.exp(SIM_POS) / (math.exp(SIM_POS) + math.exp(SIM_IL)))
    expected = softmax + softplus(-SIM_POS) + softplus(SIM_IL)
    assert _loss(scale_loss=False, constrain_similarities=True) == pytest.approx(expected, rel=1e-5)


def test_margin_loss_by_hand() -> None:
    # max(0, 0.8 - 1.5) + max(0, -1.0 - (-0.2)) + 0.8 * max(0, 0.0 - (-0.2))
    expected = 0.0 + 0.0 + 0.8 * 0.2
    assert _loss(loss_type="margin") == pytest.approx(expected, rel=1e-5)


def test_negative_labels_never_the_positive() -> None:
    layer = DotProductLoss(50, seed=1)
    labels = np.random.default_rng(0).integers(0, 7, 200).astype("int32")
    negatives = np.asarray(layer.sample_negative_labels(labels, 7))
    assert negatives.shape == (200, 50)
    assert (negatives != labels[:, None]).all()
    assert negatives.min() >= 0 and negatives.max() <= 6
    assert len(np.unique(negatives)) == 7


def test_input_negatives_skip_inputs_of_the_same_label() -> None:
    inputs = np.array([[1.0, 2.0], [0.5, -1.0]], "float32")
    same = np.array([0, 0])
    plain = DotProductLoss(3, seed=0, scale_loss=False)
    with_inputs = DotProductLoss(3, seed=0, scale_loss=False, input_negatives=True)
    # every other input has the same label, so the input-input term adds nothing
    assert float(with_inputs(inputs, same, LABELS)) == pytest.approx(
        float(plain(inputs, same, LABELS)), rel=1e-6
    )
    different = np.array([0, 1])
    plain = DotProductLoss(3, seed=0, scale_loss=False)
    with_inputs = DotProductLoss(3, seed=0, scale_loss=False, input_negatives=True)
    # inputs of another label are pushed apart, which adds softmax terms (a larger loss)
    assert float(with_inputs(inputs, different, LABELS)) > float(plain(inputs, different, LABELS))
    assert with_inputs.get_config()["input_negatives"] is True

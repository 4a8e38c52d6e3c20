from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from churnguard.errors import ConfigError, NotFittedError, SchemaError
from churnguard.risk import ChurnRiskModel


def _data(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "recency_days": rng.integers(1, 365, n).astype(float),
        "complaints_90d": rng.poisson(0.5, n),
        "plan": rng.choice(["basic", "pro", "vip"], n),
        "charges": np.where(rng.random(n) < 0.05, " ",
                            rng.uniform(10, 100, n).round(2).astype(str)),
    })
    logit = (X["recency_days"] - 180) / 60 + 0.8 * X["complaints_90d"] - (X["plan"] == "vip")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_fit_predict_and_encoding_of_text_numbers():
    X, y = _data()
    model = ChurnRiskModel().fit(X, y)
    p = model.predict_proba(X)[:, 1]
    assert p.shape == (600,) and ((p >= 0) & (p <= 1)).all()
    assert roc_auc_score(y, p) > 0.8
    kinds = {plan.name: plan.kind for plan in model.encoder_.plans_}
    assert kinds == {"recency_days": "numeric", "complaints_90d": "numeric",
                     "plan": "categorical", "charges": "numeric"}
    assert list(model.feature_names_in_) == list(X.columns)
    assert set(model.predict(X)) <= {0, 1}


def test_clone_and_pipeline():
    X, y = _data()
    model = ChurnRiskModel(learning_rate=0.05, calibration="isotonic")
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "booster_")
    pipe = make_pipeline(FunctionTransformer(lambda f: f.assign(
        recency_weeks=f["recency_days"] / 7)), copy)
    pipe.fit(X, y, churnriskmodel__order=np.arange(len(X)))
    assert pipe.predict_proba(X).shape == (600, 2)
    assert copy.calibration_ == "isotonic"


def test_time_ordered_validation_uses_latest_rows():
    X, y = _data()
    model = ChurnRiskModel(validation_fraction=0.25)
    train, valid = model._validation_rows(y, order=np.repeat([1, 2, 3, 4], 150))
    assert set(valid) == set(range(450, 600))
    assert set(train) == set(range(450))
    X = X.assign(snapshot=np.repeat(pd.date_range("2024-01-01", periods=4, freq="MS"), 150))
    fitted = ChurnRiskModel(time_column="snapshot").fit(X, y)
    assert "snapshot" not in fitted.features_
    assert fitted.predict_proba(X).shape == (600, 2)


def test_contributions_add_up_to_the_score():
    X, y = _data()
    model = ChurnRiskModel(linear_blend=0.5).fit(X, y)
    parts = model.contributions(X.head(20))
    assert list(parts.columns) == [*X.columns, "(baseline)"]
    np.testing.assert_allclose(parts.sum(axis=1), model.decision_function(X.head(20)),
                               rtol=1e-6, atol=1e-6)


def test_the_linear_partner_learns_interactions_credited_half_to_each_column():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000),
                      "c": rng.normal(size=3000)})
    y = (X["a"] * X["b"] + 0.3 * rng.normal(size=3000) > 0).astype(int).to_numpy()
    test, train = slice(0, 1000), slice(1000, None)
    linear = {k: ChurnRiskModel(linear_blend=0, interactions=k, n_estimators=200)
              .fit(X[train], y[train]) for k in (0, 3)}
    auc = {k: roc_auc_score(y[test], m.decision_function(X[test])) for k, m in linear.items()}
    assert auc[0] < 0.6 < 0.85 < auc[3]  # a pure interaction: main effects cannot see it
    parts = linear[3].contributions(X.head(30))
    np.testing.assert_allclose(parts.sum(axis=1), linear[3].decision_function(X.head(30)),
                               rtol=1e-9, atol=1e-9)
    assert parts["a"].abs().mean() > 5 * parts["c"].abs().mean()  # c plays no part


def test_explain_gives_top_three_sentences_in_two_languages():
    X, y = _data()
    model = ChurnRiskModel().fit(X, y)
    worst = int(np.argmax(model.predict_proba(X)[:, 1]))
    reasons = model.explain(X.iloc[[worst]])
    assert reasons.loc[X.index[worst], "reason_1"] in X.columns
    days = int(X["recency_days"].iloc[worst])
    row = reasons.iloc[0]
    sentences = [row[f"reason_{k}_en"] for k in (1, 2, 3)]
    assert f"no order for {days} days" in sentences
    assert f"已 {days} 天未下单" in [row[f"reason_{k}_zh"] for k in (1, 2, 3)]
    assert (reasons.filter(like="impact").dropna(axis=1) > 0).all().all()


def test_health_score_and_dimensions():
    X, y = _data()
    model = ChurnRiskModel().fit(X, y)
    health = model.health(X.head(50))
    np.testing.assert_allclose(health["health_score"],
                               np.round(100 * model.predict_proba(X.head(50))[:, 0], 1))
    assert {"health_purchasing", "health_service", "health_payment", "health_relationship",
            "health_spend", "health_other"} <= set(health.columns)
    assert health.min().min() >= 0 and health.max().max() <= 100
    # a customer with no complaints is healthier on service than one with many
    calm = X.head(1).assign(complaints_90d=0)
    upset = X.head(1).assign(complaints_90d=5)
    assert (model.health(calm)["health_service"].iloc[0]
            > model.health(upset)["health_service"].iloc[0])


def test_errors_say_what_to_fix():
    X, y = _data(100)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ChurnRiskModel().predict_proba(X)
    with pytest.raises(SchemaError, match="exactly two classes"):
        ChurnRiskModel().fit(X, np.zeros(100))
    with pytest.raises(SchemaError, match="one label per row"):
        ChurnRiskModel().fit(X, y[:50])
    with pytest.raises(ConfigError, match="calibration='platt'"):
        ChurnRiskModel(calibration="platt").fit(X, y)
    with pytest.raises(ConfigError, match="linear_blend"):
        ChurnRiskModel(linear_blend=2).fit(X, y)
    model = ChurnRiskModel(n_estimators=20).fit(X, y)
    with pytest.raises(SchemaError, match="lacks column"):
        model.predict_proba(X.drop(columns=["plan"]))


def test_unseen_levels_and_tiny_data():
    X, y = _data(60)
    model = ChurnRiskModel().fit(X, y)
    new = X.head(3).assign(plan=["platinum", None, "basic"])
    assert np.isfinite(model.predict_proba(new)).all()


def test_path_contributions_add_up_and_agree_with_treeshap():
    X, y = _data(1500, seed=4)
    model = ChurnRiskModel(linear_blend=1).fit(X, y)
    exact = model.contributions(X, method="shap")
    fast = model.contributions(X, method="path")
    score = model.decision_function(X)
    np.testing.assert_allclose(fast.sum(axis=1), score, atol=1e-6)
    np.testing.assert_allclose(exact.sum(axis=1), score, atol=1e-6)
    features = list(X.columns)
    same_top = (exact[features].idxmax(axis=1) == fast[features].idxmax(axis=1)).mean()
    assert same_top > 0.8
    with pytest.raises(ConfigError, match="not one of auto, shap, path"):
        model.contributions(X, method="lime")


def test_path_contributions_in_row_blocks_on_threads_match_one_block(monkeypatch):
    from churnguard.risk import contrib

    X, y = _data(1500, seed=5)
    model = ChurnRiskModel(linear_blend=1).fit(X, y)
    encoded = model._encode(X)
    whole = contrib.tree_contributions(model.booster_, encoded, method="path", threads=1)
    monkeypatch.setattr(contrib, "CHUNK_ROWS", 128)  # 12 blocks
    blocks = contrib.tree_contributions(model.booster_, encoded, method="path", threads=2)
    np.testing.assert_array_equal(blocks, whole)
    np.testing.assert_allclose(blocks.sum(axis=1), model.decision_function(X), atol=1e-9)

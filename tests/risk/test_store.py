"""Saved churn-risk models: train once, score with the saved model, refuse what cannot score."""

from __future__ import annotations

import numpy as np
import pytest

from churnguard.errors import ConfigError, SchemaError
from churnguard.risk import ChurnRiskModel
from churnguard.risk.backtest import training_frame
from churnguard.risk.features import FEATURE_COLUMNS, features
from churnguard.risk.scoring import score
from churnguard.risk.store import load_model, model_path, save_model, train


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from churnguard import Workspace
    from churnguard.synth import REFERENCE_END, generate, load

    ws = Workspace.create(tmp_path_factory.mktemp("store") / "shop")
    load(ws, generate(customers=500, years=2, seed=5, end=REFERENCE_END), validate=False)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def trained(company):
    return train(company, "2026-03-01", snapshots=2, model=ChurnRiskModel(n_estimators=40))


def test_train_writes_the_model_and_its_metadata(company, trained):
    path = model_path(company)
    assert path == company.folder / "models" / "risk.joblib" and path.is_file()
    loaded = load_model(path)
    info = loaded.metadata_
    assert info["feature_columns"] == FEATURE_COLUMNS
    # the default is score's: departure within 180 days, whose labels need 180 + 180 days
    assert info["training_dates"] == ["2025-02-04", "2025-03-06"]
    assert info["labels_end"] == "2026-03-01"  # last snapshot + 180 days + 180 days' silence
    assert (info["horizon_days"], info["label"]) == (180, "departure")
    assert info["churn"] == company.churn_definition().label()
    assert info["training_rows"] == trained.training_rows_
    assert set(info["versions"]) == {"churnguard", "lightgbm", "scikit-learn"}
    X = features(company, "2026-06-01")[FEATURE_COLUMNS]
    assert np.array_equal(loaded.predict_proba(X), trained.predict_proba(X))


def test_score_uses_the_saved_model_unless_told_to_refit(company, trained):
    saved = score(company, "2026-06-01", save=False)
    assert saved.attrs["model"] == "saved"
    assert (saved.attrs["label"], saved.attrs["horizon_days"]) == ("departure", 180)
    given = score(company, "2026-06-01", model=trained, save=False)
    assert given.attrs["model"] == "given"
    assert saved["p_churn"].tolist() == pytest.approx(given["p_churn"].tolist(), abs=1e-12)
    refit = score(company, "2026-06-01", save=False, refit=True, snapshots=2)
    assert refit.attrs["model"] == "fitted"
    assert len(refit) == len(saved)


def test_a_saved_model_that_cannot_score_honestly_is_refused(company, trained):
    with pytest.raises(ConfigError, match="outcomes up to 2026-03-01, after the scoring date "
                                          "2026-02-01"):
        score(company, "2026-02-01", save=False)
    with pytest.raises(ConfigError, match="predicts churn within 180 days, not 30"):
        score(company, "2026-06-01", horizon_days=30, save=False)
    with pytest.raises(ConfigError, match="for label 'departure', not 'no_purchase'"):
        score(company, "2026-06-01", label="no_purchase", save=False)


def test_a_model_trained_on_other_feature_columns_is_refused(company, trained, tmp_path):
    path = model_path(company)
    kept = path.read_bytes()
    frame = training_frame(company, ["2025-12-01"], horizon_days=90)
    columns = [c for c in FEATURE_COLUMNS if c != "p_alive"] + ["lucky_number"]
    X = frame[FEATURE_COLUMNS].drop(columns="p_alive").assign(lucky_number=7)
    other = ChurnRiskModel(n_estimators=10).fit(X[columns], frame["churned"])
    other.horizon_days_, other.label_ = 90, "churn"
    other.churn_, other.training_dates_ = company.churn_definition(), [frame["snapshot"][0].date()]
    try:
        save_model(other, path)
        with pytest.raises(SchemaError, match="other feature columns than churnguard computes "
                                              "now \\(missing p_alive; unknown lucky_number\\)"):
            score(company, "2026-06-01", save=False)
        path.write_bytes(b"not a model")
        with pytest.raises(ConfigError, match="could not be read as a churnguard model"):
            score(company, "2026-06-01", save=False)
    finally:
        path.write_bytes(kept)
    with pytest.raises(ConfigError, match="only a fitted ChurnRiskModel can be saved"):
        save_model(ChurnRiskModel(), tmp_path / "m.joblib")
    with pytest.raises(ConfigError, match="no saved churn-risk model"):
        load_model(tmp_path / "absent.joblib")


def test_cli_train_then_score(tmp_path):
    from typer.testing import CliRunner

    from churnguard import Workspace
    from churnguard.cli import app
    from churnguard.synth import REFERENCE_END, generate, load

    with Workspace.create(tmp_path / "shop") as ws:
        load(ws, generate(customers=300, years=2, seed=6, end=REFERENCE_END), validate=False)
    folder = str(tmp_path / "shop")
    runner = CliRunner()
    trained = runner.invoke(app, ["train", "-w", folder, "--as-of", "2026-03-01",
                                  "--snapshots", "2"])
    assert trained.exit_code == 0, trained.output
    assert "labels up to 2026-03-01" in trained.output and "risk.joblib" in trained.output
    scored = runner.invoke(app, ["score", "-w", folder, "--as-of", "2026-06-01", "--top", "3",
                                 "--no-save"])
    assert scored.exit_code == 0, scored.output
    assert "scored with the saved model" in scored.output
    refused = runner.invoke(app, ["score", "-w", folder, "--as-of", "2026-01-01"])
    assert refused.exit_code == 1 and isinstance(refused.exception, ConfigError)
    assert "would use the future" in str(refused.exception)
    refit = runner.invoke(app, ["score", "-w", folder, "--as-of", "2026-01-01", "--refit",
                                "--snapshots", "2", "--no-save", "--top", "1"])
    assert refit.exit_code == 0 and "a model fitted for this date" in refit.output

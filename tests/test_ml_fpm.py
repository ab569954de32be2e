"""pyspark.ml.fpm: FPGrowth. Expected values come from Apache Spark 4.1.1 run locally (its
Spark Connect server refuses FPGrowth while model cache offloading is on, its default)."""

from __future__ import annotations

from pathlib import Path

from pyspark.ml.fpm import FPGrowth, FPGrowthModel
from pyspark.sql import SparkSession


def test_fpgrowth_itemsets_rules_and_predictions(spark: SparkSession, tmp_path: Path) -> None:
    baskets = [(0, ["a", "b", "e"]), (1, ["a", "b", "c", "e"]), (2, ["a", "b"]), (3, ["c", "d"])]
    df = spark.createDataFrame(baskets, ["id", "items"])
    model = FPGrowth(minSupport=0.5, minConfidence=0.6).fit(df)
    itemsets = sorted([sorted(r.items), r.freq] for r in model.freqItemsets.collect())
    assert itemsets == [
        [["a"], 3],
        [["a", "b"], 3],
        [["a", "b", "e"], 2],
        [["a", "e"], 2],
        [["b"], 3],
        [["b", "e"], 2],
        [["c"], 2],
        [["e"], 2],
    ]
    rules = sorted(
        [sorted(r.antecedent), r.consequent, round(r.confidence, 6), round(r.lift, 6), r.support]
        for r in model.associationRules.collect()
    )
    assert len(rules) == 9
    assert rules[0] == [["a"], ["b"], 1.0, 1.333333, 0.75]
    assert rules[2] == [["a", "b"], ["e"], 0.666667, 1.333333, 0.5]
    predictions = [sorted(r.prediction) for r in model.transform(df).sort("id").collect()]
    assert predictions == [[], [], ["e"], []]
    model.write().overwrite().save(str(tmp_path / "fpm"))
    loaded = FPGrowthModel.load(str(tmp_path / "fpm"))
    assert sorted([sorted(r.items), r.freq] for r in loaded.freqItemsets.collect()) == itemsets


def test_fpgrowth_keeps_the_item_type(spark: SparkSession) -> None:
    df = spark.createDataFrame([([1, 2],), ([1, 2, 3],), ([2, 3],)], ["items"])
    found = FPGrowth(minSupport=0.6).fit(df).freqItemsets.collect()
    assert sorted([sorted(r.items), r.freq] for r in found) == [
        [[1], 2],
        [[1, 2], 2],
        [[2], 3],
        [[2, 3], 2],
        [[3], 2],
    ]

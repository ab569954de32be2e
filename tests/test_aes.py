"""AES encryption in Spark's formats: GCM (IV, ciphertext, tag; optional AAD), CBC (IV first)
and ECB, decryptable by Spark and back; wrong keys and broken input are errors, or NULL for
try_aes_decrypt."""

from __future__ import annotations

import pytest
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession


def one(spark: SparkSession, query: str) -> object:
    return spark.sql(query).first()[0]


def test_fixed_iv_ciphertexts_match_spark(spark: SparkSession) -> None:
    key = "abcdefghijklmnop12345678ABCDEFGH"
    gcm = one(
        spark,
        f"SELECT base64(aes_encrypt('Spark', '{key}', 'GCM', 'DEFAULT', "
        "unhex('000000000000000000000000'), 'This is an AAD mixed into the input'))",
    )
    assert gcm == "AAAAAAAAAAAAAAAAQiYi+sTLm7KD9UcZ2nlRdYDe/PX4"
    cbc = one(
        spark,
        "SELECT base64(aes_encrypt('Spark', '0000111122223333', 'CBC', 'PKCS', "
        "unhex('00000000000000000000000000000000')))",
    )
    assert cbc == "AAAAAAAAAAAAAAAAAAAAADSP83694Ft4gLozkGj72l4="
    ecb = one(spark, "SELECT base64(aes_encrypt('Spark SQL', '1234567890abcdef', 'ECB'))")
    assert ecb == "3lmwu+Mw0H3fi5NDvcu9lg=="


def test_round_trips_in_every_mode(spark: SparkSession) -> None:
    for mode in ["GCM", "CBC", "ECB"]:
        for key in ["0000111122223333", "000011112222333344445555", "0" * 32]:
            text = one(
                spark,
                f"SELECT CAST(aes_decrypt(aes_encrypt('secret', '{key}', '{mode}'), "
                f"'{key}', '{mode}') AS STRING)",
            )
            assert text == "secret", (mode, key)


def test_bad_keys_and_input(spark: SparkSession) -> None:
    with pytest.raises(PySparkException, match="AES_KEY_LENGTH"):
        spark.sql("SELECT aes_encrypt('a', 'short')").collect()
    with pytest.raises(PySparkException, match="AES_CRYPTO_ERROR"):
        spark.sql("SELECT aes_decrypt(X'0011', '0000111122223333')").collect()
    assert one(spark, "SELECT try_aes_decrypt(X'0011', '0000111122223333')") is None
    wrong = one(
        spark,
        "SELECT try_aes_decrypt(aes_encrypt('a', '0000111122223333'), '1111111122223333')",
    )
    assert wrong is None

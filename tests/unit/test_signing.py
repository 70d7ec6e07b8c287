from __future__ import annotations

from pathlib import Path

import pytest

from music_studio.errors import SignatureExpired, SignatureInvalid
from music_studio.signing import Signer, load_or_create_keys, parse_keys

KEYS = parse_keys("k1:0123456789abcdef0123,k0:fedcba9876543210fedc")


def _parts(url: str) -> tuple[str, int, str, str]:
    path, query = url.removeprefix("http://h").split("?")
    params = dict(part.split("=") for part in query.split("&"))
    return path, int(params["exp"]), params["kid"], params["sig"]


def test_mint_then_verify_round_trip_for_get_and_head() -> None:
    signer = Signer(KEYS, ttl_seconds=900, base_url="http://h/")
    path, exp, kid, sig = _parts(signer.mint("mtrack_0123456789abcdef01234567", now=1000).url)
    assert kid == "k1" and len(sig) == 43
    assert exp >= 1900 and exp % 60 == 0
    signer.verify("GET", path, exp, kid, sig, now=1000)
    signer.verify("HEAD", path, exp, kid, sig, now=1000)


def test_urls_are_stable_within_a_window() -> None:
    signer = Signer(KEYS, ttl_seconds=900, base_url="http://h")
    assert signer.mint("mtrack_aaaaaaaaaaaa", now=1201).url == signer.mint("mtrack_aaaaaaaaaaaa", now=1259).url


@pytest.mark.parametrize("field", ["path", "exp", "kid", "sig", "method"])
def test_any_change_invalidates(field: str) -> None:
    signer = Signer(KEYS, ttl_seconds=900, base_url="http://h")
    path, exp, kid, sig = _parts(signer.mint("mtrack_0123456789abcdef01234567", now=0).url)
    method = "GET"
    if field == "path":
        path = path.replace("0123", "0124")
    elif field == "exp":
        exp += 1
    elif field == "kid":
        kid = "k0"
    elif field == "sig":
        sig = sig[::-1]
    else:
        method = "POST"
    with pytest.raises(SignatureInvalid):
        signer.verify(method, path, exp, kid, sig, now=0)


def test_unknown_kid_and_expiry() -> None:
    signer = Signer(KEYS, ttl_seconds=900, base_url="http://h")
    path, exp, kid, sig = _parts(signer.mint("mtrack_0123456789abcdef01234567", now=0).url)
    with pytest.raises(SignatureInvalid):
        signer.verify("GET", path, exp, "nope", sig, now=0)
    with pytest.raises(SignatureExpired):
        signer.verify("GET", path, exp, kid, sig, now=exp + 1)


def test_key_parsing_rejects_weak_or_malformed_keys() -> None:
    for raw in ("k1", "k1:short", "bad kid:0123456789abcdef0123", ""):
        with pytest.raises(ValueError):
            parse_keys(raw)


def test_generated_key_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_keys(None, tmp_path)
    assert load_or_create_keys(None, tmp_path) == first
    assert (tmp_path / "signing-keys").stat().st_mode & 0o777 == 0o600

"""Tokens and pseudonyms are random and never read as a formula by a spreadsheet."""

from studies.models import new_token

FORMULA_STARTS = ("-", "=", "+", "@")


def test_tokens_never_start_like_a_spreadsheet_formula():
    tokens = [new_token() for _ in range(20_000)]
    assert not [t for t in tokens if t.startswith(FORMULA_STARTS)]
    assert all(t[0].isalnum() for t in tokens)
    # token_urlsafe alone starts with "-" once in 64: 20,000 draws would show ~300.
    assert len(set(tokens)) == len(tokens)
    assert {len(t) for t in tokens} == {23}
    assert set("".join(tokens)) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )

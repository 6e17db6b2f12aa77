import jwt
import pytest

from standin._core.clock import Clock
from standin._core.tokens import IssuedToken, JwtSigner, TokenIssuer, TokenRejected


@pytest.fixture
def frozen() -> Clock:
    clock = Clock(lambda: 1_700_000_000.0)
    clock.freeze()
    return clock


def test_opaque_token_is_valid_until_its_lifetime_ends(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=36000)
    token = issuer.issue(tenant_id="default", subject="client-1", scope="read write")
    assert token.expires_in() == 36000
    frozen.advance(35999)
    assert issuer.validate(token.value).subject == "client-1"
    frozen.advance(1)
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(token.value)
    assert rejected.value.problem == "expired"


def test_unknown_and_malformed_tokens_are_rejected(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60)
    with pytest.raises(TokenRejected) as unknown:
        issuer.validate("not-a-token")
    assert unknown.value.problem == "unknown"
    with pytest.raises(TokenRejected) as empty:
        issuer.validate("")
    assert empty.value.problem == "malformed"


def test_revoked_token_is_rejected(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60)
    token = issuer.issue(tenant_id="default", subject="u")
    issuer.revoke(token.value)
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(token.value)
    assert rejected.value.problem == "revoked"


def test_refresh_token_is_single_use_and_carries_the_tenant(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=3600, refresh_lifetime_seconds=86400)
    access = issuer.issue(tenant_id="t-1", subject="user", client_id="c")
    refresh = issuer.issue_refresh(access)
    redeemed = issuer.redeem_refresh(refresh.value)
    assert (redeemed.tenant_id, redeemed.subject, redeemed.client_id) == ("t-1", "user", "c")
    with pytest.raises(TokenRejected) as reused:
        issuer.redeem_refresh(refresh.value)
    assert reused.value.problem == "revoked"


def test_refresh_token_cannot_be_used_as_access_token(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=3600, refresh_lifetime_seconds=86400)
    refresh = issuer.issue_refresh(issuer.issue(tenant_id="t", subject="u"))
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(refresh.value)
    assert rejected.value.problem == "wrong_kind"


def test_refresh_token_expires(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60, refresh_lifetime_seconds=120)
    refresh = issuer.issue_refresh(issuer.issue(tenant_id="t", subject="u"))
    frozen.advance(120)
    with pytest.raises(TokenRejected) as rejected:
        issuer.redeem_refresh(refresh.value)
    assert rejected.value.problem == "expired"


def test_jwt_carries_claims_and_expiry_from_the_sandbox_clock(frozen: Clock) -> None:
    signer = JwtSigner(key_id="k1")
    issuer = TokenIssuer(frozen, lifetime_seconds=3599, token_format="jwt", signer=signer)
    token = issuer.issue(tenant_id="t", subject="app", claims={"aud": "https://api.example"})
    header = jwt.get_unverified_header(token.value)
    assert list(header.items()) == [("typ", "JWT"), ("alg", "RS256"), ("kid", "k1")]
    assert token.value.startswith("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIs")
    claims = jwt.decode(token.value, options={"verify_signature": False})
    assert claims["aud"] == "https://api.example"
    assert claims["iat"] == 1_700_000_000
    assert claims["exp"] == 1_700_000_000 + 3599
    assert issuer.validate(token.value).claims["sub"] == "app"


def test_jwt_verifies_with_the_published_jwks(frozen: Clock) -> None:
    signer = JwtSigner()
    issuer = TokenIssuer(frozen, lifetime_seconds=60, token_format="jwt", signer=signer)
    token = issuer.issue(tenant_id="t", subject="app", claims={"aud": "x"})
    key = jwt.PyJWKSet.from_dict(signer.jwks()).keys[0]
    claims = jwt.decode(
        token.value, key.key, algorithms=["RS256"], audience="x", options={"verify_exp": False}
    )
    assert claims["sub"] == "app"


def test_tampered_jwt_is_malformed(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60, token_format="jwt")
    token = issuer.issue(tenant_id="t", subject="app")
    head, body, signature = token.value.split(".")
    forged = ".".join(
        (head, body, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB"))
    )
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(forged)
    assert rejected.value.problem == "malformed"


def test_revoking_a_tenant_revokes_all_its_tokens(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60)
    mine = issuer.issue(tenant_id="a", subject="u")
    theirs = issuer.issue(tenant_id="b", subject="u")
    issuer.revoke_tenant("a")
    with pytest.raises(TokenRejected):
        issuer.validate(mine.value)
    assert issuer.validate(theirs.value).tenant_id == "b"


def test_expired_tokens_are_forgotten_so_memory_stays_bounded(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=10)
    for _ in range(1000):
        issuer.issue(tenant_id="t", subject="u")
    frozen.advance(11)
    for _ in range(100):
        issuer.issue(tenant_id="t", subject="u")
    assert issuer.active_count() == 100


def test_each_token_is_issued_and_judged_on_its_own_tenants_clock() -> None:
    clocks = {"a": Clock(lambda: 1_700_000_000.0), "b": Clock(lambda: 1_700_000_000.0)}
    for clock in clocks.values():
        clock.freeze()
    issuer = TokenIssuer(clocks.__getitem__, lifetime_seconds=60)
    clocks["b"].advance(30)
    a = issuer.issue(tenant_id="a", subject="u")
    b = issuer.issue(tenant_id="b", subject="u")
    assert (a.issued_at, b.issued_at) == (1_700_000_000.0, 1_700_000_030.0)
    clocks["a"].advance(60)
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(a.value)
    assert rejected.value.problem == "expired"
    assert issuer.validate(b.value) == b


def test_forgetting_a_tenant_drops_its_tokens_and_keeps_nothing_of_them(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60, refresh_lifetime_seconds=600)
    gone = issuer.issue(tenant_id="gone", subject="u")
    issuer.issue_refresh(gone)
    kept = issuer.issue(tenant_id="kept", subject="u")
    issuer.forget_tenant("gone")
    assert issuer.active_count() == 1
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(gone.value)
    assert rejected.value.problem == "unknown"
    assert issuer.validate(kept.value) == kept


def test_an_expired_token_is_forgotten_without_waiting_for_more_issues(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=10)
    for _ in range(5):
        issuer.issue(tenant_id="t", subject="u")
    kept = issuer.issue(tenant_id="t", subject="u", lifetime_seconds=60)
    frozen.advance(10)
    assert issuer.validate(kept.value) == kept
    assert issuer.active_count() == 1


def test_an_idle_tenants_expired_tokens_are_forgotten_by_another_tenants_calls() -> None:
    clocks = {"idle": Clock(lambda: 1_700_000_000.0), "busy": Clock(lambda: 1_700_000_000.0)}
    for clock in clocks.values():
        clock.freeze()
    issuer = TokenIssuer(clocks.__getitem__, lifetime_seconds=10)
    for _ in range(3):
        issuer.issue(tenant_id="idle", subject="u")
    clocks["idle"].advance(10)
    busy = issuer.issue(tenant_id="busy", subject="u")
    assert issuer.validate(busy.value) == busy
    assert issuer.active_count() == 1


def test_a_frozen_tenant_clock_keeps_its_tokens_while_another_tenants_expire() -> None:
    clocks = {"frozen": Clock(lambda: 1_700_000_000.0), "moved": Clock(lambda: 1_700_000_000.0)}
    for clock in clocks.values():
        clock.freeze()
    issuer = TokenIssuer(clocks.__getitem__, lifetime_seconds=10)
    still = issuer.issue(tenant_id="frozen", subject="u")
    gone = issuer.issue(tenant_id="moved", subject="u")
    clocks["moved"].advance(3600)
    issuer.issue(tenant_id="moved", subject="u")
    issuer.issue(tenant_id="frozen", subject="u")
    assert issuer.validate(still.value) == still
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(gone.value)
    assert rejected.value.problem == "unknown"


def test_a_revoked_token_is_remembered_as_revoked_only_until_it_would_have_expired(
    frozen: Clock,
) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=10)
    token = issuer.issue(tenant_id="t", subject="u")
    issuer.revoke(token.value)
    assert issuer.remembered_count() == 1
    frozen.advance(10)
    issuer.issue(tenant_id="t", subject="u", lifetime_seconds=60)
    assert issuer.remembered_count() == 1
    with pytest.raises(TokenRejected) as rejected:
        issuer.validate(token.value)
    assert rejected.value.problem == "unknown"


class _Log:
    def __init__(self) -> None:
        self.forgotten: list[str] = []

    def remember(self, token: IssuedToken) -> None:
        pass

    def forget(self, values: list[str]) -> None:
        self.forgotten.extend(values)


def test_expired_tokens_are_deleted_from_the_durable_log_as_they_are_forgotten(
    frozen: Clock,
) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=10)
    log = _Log()
    issuer.log = log
    old = issuer.issue(tenant_id="t", subject="u")
    frozen.advance(10)
    issuer.issue(tenant_id="t", subject="u")
    assert log.forgotten == [old.value]


def test_a_token_is_still_valid_until_it_expires_on_its_tenants_clock() -> None:
    clocks = {"a": Clock(lambda: 1_700_000_000.0), "b": Clock(lambda: 1_700_000_000.0)}
    for clock in clocks.values():
        clock.freeze()
    issuer = TokenIssuer(clocks.__getitem__, lifetime_seconds=60)
    a = issuer.issue(tenant_id="a", subject="u")
    b = issuer.issue(tenant_id="b", subject="u")
    clocks["a"].advance(59)
    assert (issuer.still_valid(a), issuer.still_valid(b)) == (True, True)
    clocks["a"].advance(1)
    assert (issuer.still_valid(a), issuer.still_valid(b)) == (False, True)


def test_a_revoked_or_forgotten_token_is_no_longer_valid(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60)
    revoked = issuer.issue(tenant_id="t", subject="u")
    forgotten = issuer.issue(tenant_id="gone", subject="u")
    issuer.revoke(revoked.value)
    issuer.forget_tenant("gone")
    assert (issuer.still_valid(revoked), issuer.still_valid(forgotten)) == (False, False)


def test_a_token_equal_to_a_remembered_one_but_not_issued_by_it_is_not_still_valid(
    frozen: Clock,
) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60)
    token = issuer.issue(tenant_id="t", subject="u")
    assert issuer.still_valid(token)
    assert not issuer.still_valid(IssuedToken(**{**token.__dict__, "subject": "other"}))


def test_a_token_without_expiry_stays_valid_until_revoked(frozen: Clock) -> None:
    issuer = TokenIssuer(frozen, lifetime_seconds=60, refresh_lifetime_seconds=None)
    refresh = issuer.issue_refresh(issuer.issue(tenant_id="t", subject="u"))
    frozen.advance(10**9)
    assert issuer.still_valid(refresh)
    issuer.revoke(refresh.value)
    assert not issuer.still_valid(refresh)

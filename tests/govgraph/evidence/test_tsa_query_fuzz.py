"""Hypothesis fuzz of the embedded TSA's query decoder (`TimestampAuthority.answer`, what `POST /tsa` runs):
structured TimeStampReqs with every field drawn (version, hash algorithm, digest length, policy, nonce,
certReq, extensions) get exactly the RFC 3161 answer their fields call for, granted with the request's
imprint and nonce or a rejection with the right failInfo; mutated and arbitrary bytes always get a
TimeStampResp, never an exception."""

from __future__ import annotations

import pytest
from asn1crypto import cms, core, tsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgraph.evidence.authority import POLICY_OID, SHA256_OID, TimestampAuthority, load_or_create_authority

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SIZES = {SHA256_OID: 32, "2.16.840.1.101.3.4.2.2": 48, "2.16.840.1.101.3.4.2.3": 64}
OTHER_HASHES = ["1.3.14.3.2.26", "1.2.840.113549.2.5", "2.16.840.1.101.3.4.2.4", "1.2.3.4.5"]


class Reply(core.Sequence):
    """A TimeStampResp whose token may be absent (as in a rejection)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TimestampAuthority:
    return load_or_create_authority(tmp_path_factory.mktemp("tsa"))


@st.composite
def queries(draw: st.DrawFn) -> tuple[bytes, str | None, dict]:
    """(DER TimeStampReq, the failInfo it must get or None for granted, the fields drawn)."""
    version = draw(st.sampled_from([1, 1, 1, 2, 3]))
    hash_oid = draw(st.sampled_from([*SIZES, *OTHER_HASHES]))
    size = SIZES.get(hash_oid, 32)
    digest = draw(st.one_of(st.binary(min_size=size, max_size=size), st.binary(max_size=80)))
    policy = draw(st.sampled_from([None, None, POLICY_OID, "1.2.3.4"]))
    nonce = draw(st.one_of(st.none(), st.integers(-(2**70), 2**160)))
    cert_req = draw(st.booleans())
    extended = draw(st.integers(0, 4)) == 0
    fields: dict = {
        "version": version,
        "message_imprint": {"hash_algorithm": {"algorithm": hash_oid}, "hashed_message": digest},
        "cert_req": cert_req,
    }
    if policy is not None:
        fields["req_policy"] = policy
    if nonce is not None:
        fields["nonce"] = nonce
    if extended:
        fields["extensions"] = [{"extn_id": "1.2.3.99", "critical": False, "extn_value": b"\x05\x00"}]
    if version != 1:
        expected = "bad_request"
    elif hash_oid not in SIZES:
        expected = "bad_alg"
    elif policy not in (None, POLICY_OID):
        expected = "unaccepted_policy"
    elif extended:
        expected = "unaccepted_extensions"
    elif len(digest) != SIZES[hash_oid]:
        expected = "bad_data_format"
    else:
        expected = None
    drawn = {"digest": digest, "hash": hash_oid, "nonce": nonce, "cert_req": cert_req}
    return tsp.TimeStampReq(fields).dump(), expected, drawn


def status_of(reply: bytes) -> tuple[str, set[str] | None, Reply]:
    read = Reply.load(reply, strict=True)
    status = read["status"].native
    return status["status"], status["fail_info"], read


@FUZZ
@given(query=queries())
def test_a_structured_query_gets_the_answer_its_fields_call_for(
    authority: TimestampAuthority, query: tuple[bytes, str | None, dict]
) -> None:
    der, expected, drawn = query
    status, fail_info, read = status_of(authority.answer(der))
    if expected is not None:
        assert (status, fail_info) == ("rejection", {expected})
        assert isinstance(read["time_stamp_token"], core.Void)
        return
    assert (status, fail_info) == ("granted", None)
    info = read["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].dotted == drawn["hash"]
    assert info["message_imprint"]["hashed_message"].native == drawn["digest"]
    assert info["nonce"].native == drawn["nonce"]
    assert info["policy"].dotted == POLICY_OID
    certificates = read["time_stamp_token"]["content"]["certificates"]
    assert (len(certificates) if certificates.native else 0) == (1 if drawn["cert_req"] else 0)


@FUZZ
@given(data=st.data())
def test_a_mutated_query_always_gets_a_time_stamp_response(
    authority: TimestampAuthority, data: st.DataObject
) -> None:
    der, _, _ = data.draw(queries())
    position = data.draw(st.integers(0, len(der) - 1))
    mutated = data.draw(
        st.one_of(
            st.integers(1, 255).map(
                lambda x: der[:position] + bytes([der[position] ^ x]) + der[position + 1 :]
            ),
            st.just(der[:position]),
            st.binary(min_size=1, max_size=16).map(lambda tail: der + tail),
        )
    )
    status, fail_info, _ = status_of(authority.answer(mutated))
    assert status in ("granted", "rejection")
    if status == "rejection":
        assert fail_info is not None and len(fail_info) == 1

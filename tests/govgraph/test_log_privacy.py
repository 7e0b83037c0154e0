"""A citizen's registry data never reaches the server's log, even at the most verbose level an operator can
set (at debug, the SQLite driver logged every statement's parameters: names, birth dates, incomes)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.credentials import bearer, issue_token
from tests.support.servers import running_server

ENROL = """mutation($input: EnrolCitizenInput!) { enrolCitizen(input: $input) { id } }"""


@pytest.mark.e2e
@pytest.mark.parametrize("log_level", ["debug", "trace"])
def test_an_enrolled_citizens_data_is_not_in_the_debug_log(tmp_path: Path, log_level: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    citizen = {
        "givenName": "Zephyrine",
        "familyName": "Quillfeather",
        "birthDate": "1987-03-14",
        "residence": "Riverside",
        "citizenship": "NL",
        "householdIncome": 48213,
    }
    with running_server(data_dir, log_level) as server:
        token = issue_token(data_dir, "clerk-log", "clerk:identity")
        response = httpx.post(
            server.url + "/graphql",
            json={"query": ENROL, "variables": {"input": citizen}},
            headers=bearer(token),
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        citizen_id = body["data"]["enrolCitizen"]["id"]
    log = server.log_path.read_text()
    assert "DEBUG:" in log  # the level really was verbose
    for value in ("Zephyrine", "Quillfeather", "1987-03-14", "48213", citizen_id):
        assert value not in log

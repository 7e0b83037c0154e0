"""An evaluation committee member's side of sealed-bid tenders, as a client of the public /graphql: the key
ceremony's rounds and the decryption shares, with the member's secrets kept in a local state file."""

from govgraph.committee.member import CommitteeError, Member

__all__ = ["CommitteeError", "Member"]

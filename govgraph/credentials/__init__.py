"""OpenID for Verifiable Credential Issuance and Presentations over `zk.credential`: the issuer's and the
verifier's endpoints, their state and keys (the protocol; the cryptography is zk). See docs/credentials.md."""

"""Authentication and roles: bearer JWTs (joserfc) from the embedded issuer or an external OIDC provider,
API keys for machine clients, the role grammar, and strawberry permission classes."""

"""The verifier: any agency or service asks citizens for presentations (OpenID4VP with DCQL) and reads the
results."""

"""The wallet's local web page (`govgraph wallet ui`): `app.build_wallet_app` over the wallet file."""

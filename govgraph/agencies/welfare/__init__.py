"""The welfare office: benefit programmes, pseudonymous claims, payments and disbursement exports."""

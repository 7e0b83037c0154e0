"""The agencies: one package each (models.py tables, service.py rules, schema.py GraphQL types)."""

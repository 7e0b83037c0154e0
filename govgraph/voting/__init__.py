"""Clients of the election commission through its public API only: trustees, voters, the simulation, the
auditor."""

"""The identity bureau: agencies, citizens (opaque ids only) and the credential schemas citizens can hold."""

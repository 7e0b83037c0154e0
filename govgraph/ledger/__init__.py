"""The tamper-evident agency log: RFC 6962 Merkle math, C2SP signed notes and checkpoints, storage,
witnesses."""

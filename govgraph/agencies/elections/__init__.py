"""The election commission: elections as a state machine, trustees, ballots and the public board."""

"""Sample networks: the deterministic input generator and sample payments."""

"""Command line interface (`resistlab`): thin wrappers over io, analyses and outputs."""

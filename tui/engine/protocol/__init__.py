"""The Speechmatics wire formats: configuration parsing and validation, and result building."""

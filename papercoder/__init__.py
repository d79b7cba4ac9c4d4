"""PaperCoder: turn a machine-learning paper into a code repository, then prove the code runs."""

__version__ = "0.1.0"

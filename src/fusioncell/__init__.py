"""fusioncell: the communication cell of a joint coordination mechanism."""

__version__ = "0.1.0"

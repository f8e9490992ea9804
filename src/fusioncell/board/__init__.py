"""The supervisor's board: every open clock in the cell, breaches, and per-party figures."""

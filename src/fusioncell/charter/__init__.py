"""The mechanism's charter: a TOML file that describes one cell."""

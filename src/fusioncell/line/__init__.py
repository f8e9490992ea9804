"""Line checks and the line's status (docs/line.md)."""

"""Swing: find swings in a pose stream, their 8 events, handedness and camera view."""

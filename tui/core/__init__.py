"""The headless core of the dashboard: SDK sessions, audio, the store, measurements.

Nothing here imports Textual (a test checks it).
"""

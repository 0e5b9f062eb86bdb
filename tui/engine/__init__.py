"""The embedded engine: a local server speaking the Speechmatics batch v2 and real-time v2 APIs.

Headless: nothing here imports Textual.
"""

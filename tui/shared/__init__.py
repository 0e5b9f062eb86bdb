"""What the engine and the client core share: audio decoding and transcript rendering.

Nothing here imports Textual, the engine or the client core (import contracts check it).
"""

"""What the app does, one controller per activity: the engine, the batch queue, live sessions.

Controllers start workers and talk to the screen; the app only wires them together.
"""

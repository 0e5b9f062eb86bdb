"""What the app does, one controller per activity: the engine, the batch queue, live sessions.

Controllers see the app only through ``Host`` (run a worker, post a message, tell the user,
keep a timer) and announce what happened with messages from ``tui.messages``; they never touch
a screen or a widget, and screens never import them.
"""

"""The real-time v2 WebSocket API: sessions, their channels, the pump that steps audio through the
model, the rules that make words final, and the messages written back."""

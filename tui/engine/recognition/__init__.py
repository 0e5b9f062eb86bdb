"""Speech recognition shared by both APIs: the Whisper models, the inference scheduler, step
costs, guards against hallucination, speakers and custom vocabulary."""

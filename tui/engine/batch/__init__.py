"""The batch v2 REST API: uploads, the job queue that survives restarts, and transcription of
whole files in blocks."""

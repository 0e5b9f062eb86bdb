"""What a finished job was asked for and did not make is said in its pane, not left silent."""

from __future__ import annotations

from tui.core.batch_run import stated_errors


def test_each_metadata_error_becomes_a_line_once() -> None:
    transcript = {
        "metadata": {
            "translation_errors": [
                {"type": "unsupported_translation_pair", "message": "Translation to de: no"}
            ],
            "summarization_errors": [{"type": "summarization_failed", "message": "No summary"}],
            "sentiment_analysis_errors": [{"type": "sentiment_analysis_failed"}],
            "topic_detection_errors": [{"type": "x", "message": "No summary"}],  # said once
            "language_pack_info": {"word_delimiter": " "},
        }
    }
    assert stated_errors(transcript).splitlines() == [
        "sentiment_analysis_failed",
        "No summary",
        "Translation to de: no",
    ]
    assert stated_errors({"metadata": {}}) == "" == stated_errors({})

"""Long continuous speech for benchmarks, made at run time (nothing large is kept in git).

* ``story``: a reading of ``STORY`` (text written for this project, never tuned on) by
  espeak-ng, about three minutes; ``flite_story``: the same read by flite's slt voice, a
  second synthesiser whose voice Whisper hears more as it hears people.
* ``shared``: the shared recordings that have a reference, one after another with half a
  second between them (about a minute of real speech), and their references joined.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import SHARED_AUDIO, joined_shared  # noqa: E402

STORY = """\
The harbour town woke slowly on the first cold morning of autumn. Fishing boats knocked against \
the wooden pier while gulls argued over scraps near the market stalls. Margaret opened the \
bakery at six, as she had done every day for thirty years, and set out loaves of brown bread, \
small cakes with cinnamon, and a tray of apple pastries that always sold out before noon. \
Her nephew Daniel arrived late, carrying a box of letters that had been delivered to the wrong \
house. He explained that the postman was new and did not yet know which cottage belonged to \
which family. Margaret laughed and told him to sort them by street before the customers came in. \
By eight o'clock the shop was full. A teacher bought sandwiches for a school trip to the \
lighthouse. Two builders asked for strong coffee and complained about the rain that was coming \
from the west. An old sailor told anyone who would listen about the storm of nineteen sixty \
two, when the sea came over the harbour wall and flooded the square. \
In the afternoon the weather turned. Dark clouds gathered over the hills, and the wind pulled \
at the awnings along the high street. Shopkeepers carried their signs inside and closed the \
shutters. Daniel helped Margaret bring in the chairs from the pavement, and together they \
watched the first heavy drops hit the window. \
The storm lasted most of the night. Power failed twice, and the town listened to the roar of \
the waves against the rocks. When morning came, the damage was smaller than anyone had feared. \
A few roof tiles had fallen, a fence had blown over near the church, and one of the smaller \
boats had drifted loose and run aground on the sand. \
The harbour master organised volunteers to clear the beach. Children collected driftwood and \
strange shells, and the owner of the hardware store handed out gloves and rubbish bags. By \
lunchtime the square looked almost normal again, and the bakery opened its doors an hour later \
than usual. \
Margaret decided that the volunteers deserved a reward. She baked three large trays of pastries \
and carried them down to the harbour with Daniel. People sat on upturned crates and ate in the \
weak sunshine, talking about the storm and about the winter that was still to come. \
That evening the town council met in the library to discuss the sea wall. The engineer \
presented a plan to raise it by one metre and to add a new drainage channel behind the market. \
The cost would be high, and several members worried about taxes. After a long debate they \
agreed to ask the regional government for help and to vote again in the spring. \
Daniel walked home along the cliff path. The sky had cleared, and he could see the lights of \
ships far out at sea. He thought about leaving the town to study in the city, as his friends \
had done, but he also thought about the bakery, the harbour, and the people who had worked \
together that morning without being asked."""


def story(folder: Path, voice: str = "en-us", words_per_minute: int = 165) -> Path:
    """``STORY`` read by espeak-ng into a WAV file in ``folder``.

    Raises:
        SystemExit: espeak-ng is not installed.
    """
    if shutil.which("espeak-ng") is None:
        raise SystemExit(
            "espeak-ng is needed to make the long recording: apt-get install espeak-ng"
        )
    path = folder / "story.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(path), STORY],
        check=True,
        capture_output=True,
    )
    return path


# Voices and speeds for ``long_story``: each reading differs, so no stretch is repeated
# sample for sample.
READINGS = (("en-us", 165), ("en-gb", 150), ("en-us+f3", 175), ("en-gb-x-rp", 160),
            ("en-us+m3", 170), ("en-gb+f4", 155), ("en-us+f2", 180))  # fmt: skip


def long_story(folder: Path) -> tuple[Path, str]:
    """``STORY`` read seven times over in different voices and speeds with a second between
    readings (about 20 minutes), and its reference."""
    from tests.helpers import joined

    parts: list[Path | float] = []
    for index, (voice, speed) in enumerate(READINGS):
        reading = folder / f"reading-{index}"
        reading.mkdir(exist_ok=True)
        parts += [story(reading, voice, speed), 1.0]
    return joined(folder / "long_story.wav", *parts), " ".join([STORY] * len(READINGS))


def corpus(folder: Path, lengths: bool = False) -> dict[str, tuple[Path, str]]:
    """Every long recording and its reference, by name; with ``lengths``, also the shortest
    and longest files a batch user sends (10 s of real speech; 20 minutes made here)."""
    if not (SHARED_AUDIO / "references.tsv").is_file():
        sys.exit(
            f"The shared recordings are not at {SHARED_AUDIO}: put ../shared beside the checkout."
        )
    made = {
        "story (espeak-ng, 3 min)": (story(folder), STORY),
        "story (flite, 3 min)": (flite_story(folder), STORY),
        "shared recordings joined (1 min)": joined_shared(folder),
    }
    if lengths:
        made["agent (real speech, 10 s)"] = agent()
        made["story seven times (espeak-ng, 20 min)"] = long_story(folder)
    return made


def flite_story(folder: Path, voice: str = "slt") -> Path:
    """``STORY`` read by flite into a 16 kHz WAV file in ``folder``.

    Raises:
        SystemExit: flite is not installed.
    """
    from tests.helpers import speak_flite

    if shutil.which("flite") is None:
        raise SystemExit("flite is needed to make the second reading: apt-get install flite")
    return speak_flite(STORY, folder / f"story-flite-{voice}.wav", voice)


def agent() -> tuple[Path, str]:
    """The shared 10 s recording of a call's agent, and its reference."""
    from tui.core.references import load_references

    return SHARED_AUDIO / "agent.wav", load_references(SHARED_AUDIO / "references.tsv")["agent.wav"]

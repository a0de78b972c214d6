"""Test helpers of the live app: small real videos made with ffmpeg's generated sources."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.conf import settings


def make_video(path: Path, *, seconds: int = 8, languages: tuple[str, ...] = ("eng", "chi")) -> Path:
    """An H.264 MP4 of ``seconds`` (320×180, a test picture) with one sine-tone audio track per language,
    each tagged with its language; a key frame every second so that every second can be sought to."""
    command = [settings.FFMPEG, "-nostdin", "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc=size=320x180:rate=25:duration={seconds}"]
    for n, _language in enumerate(languages):
        command += ["-f", "lavfi", "-i", f"sine=frequency={440 * (n + 1)}:duration={seconds}"]
    command += ["-map", "0:v"]
    for n, _language in enumerate(languages):
        command += ["-map", f"{n + 1}:a"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"]
    command += ["-c:a", "aac", "-b:a", "48k"]
    for n, language in enumerate(languages):
        command += [f"-metadata:s:a:{n}", f"language={language}"]
    command += ["-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path


def upload_of(path: Path, name: str = "talk.mp4"):
    """``path`` as a file uploaded through a form."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, path.read_bytes(), content_type="video/mp4")

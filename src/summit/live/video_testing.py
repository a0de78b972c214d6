"""Test helpers of the live app: small real videos made with ffmpeg's generated sources."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.conf import settings


def make_video(
    path: Path,
    *,
    seconds: int = 8,
    languages: tuple[str, ...] = ("eng", "chi"),
    subtitles: tuple[str, ...] = (),
) -> Path:
    """An H.264 MP4 of ``seconds`` (320×180, a test picture) with one sine-tone audio track per language,
    each tagged with its language, and a text subtitle track per language of ``subtitles`` (one cue a
    second, "<language> <second>"); a key frame every second so that every second can be sought to."""
    command = [settings.FFMPEG, "-nostdin", "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc=size=320x180:rate=25:duration={seconds}"]
    for n, _language in enumerate(languages):
        command += ["-f", "lavfi", "-i", f"sine=frequency={440 * (n + 1)}:duration={seconds}"]
    for language in subtitles:
        vtt = path.with_name(f"{path.stem}.{language}.vtt")
        cues = [f"00:00:{s:02d}.000 --> 00:00:{s:02d}.900\n{language} {s}\n" for s in range(min(seconds, 59))]
        vtt.write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
        command += ["-i", str(vtt)]
    command += ["-map", "0:v"]
    for n, _language in enumerate(languages):
        command += ["-map", f"{n + 1}:a"]
    for n, _language in enumerate(subtitles):
        command += ["-map", f"{len(languages) + 1 + n}:s"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"]
    command += ["-c:a", "aac", "-b:a", "48k", "-c:s", "mov_text"]
    for n, language in enumerate(languages):
        command += [f"-metadata:s:a:{n}", f"language={language}"]
    for n, language in enumerate(subtitles):
        command += [f"-metadata:s:s:{n}", f"language={language}"]
    command += ["-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path


def upload_of(path: Path, name: str = "talk.mp4"):
    """``path`` as a file uploaded through a form."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, path.read_bytes(), content_type="video/mp4")

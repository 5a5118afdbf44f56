"""Loading samples as NumPy arrays: images with Pillow, video frames with OpenCV."""

import numpy as np
from PIL import Image

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


def load_rgb(path: str) -> np.ndarray:
    """H x W x 3 uint8 (an image, or a video's frames stacked as N x H x W x 3)."""
    if path.lower().endswith(VIDEO_SUFFIXES):
        return load_video(path)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def load_video(path: str, max_frames: int = 0) -> np.ndarray:
    try:
        import cv2
    except ImportError:
        raise RuntimeError(
            "this track has video files: install OpenCV in your image (python3-opencv)"
        ) from None
    capture = cv2.VideoCapture(path)
    frames = []
    try:
        while not max_frames or len(frames) < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    if not frames:
        raise RuntimeError(f"{path}: no frame could be decoded")
    return np.stack(frames)


def image_size(path: str) -> tuple:
    """(width, height) without decoding the pixels."""
    with Image.open(path) as image:
        return image.size

"""MP3 encoding through lameenc, plus the LAME "Info" tag frame that makes decoders exact."""

from __future__ import annotations

import struct

import lameenc

SR = 44100
BITRATE = 192
ENCODER_DELAY = 576
"""Written in the tag; decoders add their own 529-sample decoder delay on top."""
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)
TAG_FRAME_BYTES = 144000 * BITRATE // SR


class Mp3Writer:
    """Encodes int16 stereo PCM chunk by chunk and keeps the frames in memory."""

    def __init__(self, quality: int = 7) -> None:
        self.encoder = lameenc.Encoder()
        self.encoder.set_bit_rate(BITRATE)
        self.encoder.set_in_sample_rate(SR)
        self.encoder.set_channels(2)
        self.encoder.set_quality(quality)
        # Room for the tag frame is reserved up front, so the file is never copied to prepend it.
        self.data = bytearray(TAG_FRAME_BYTES)

    def encode(self, pcm: bytes) -> None:
        self.data += self.encoder.encode(pcm)

    def finish(self, n_samples: int) -> bytes:
        """The complete file: Info tag frame followed by every audio frame."""
        self.data += self.encoder.flush()
        frames = memoryview(self.data)[TAG_FRAME_BYTES:]
        tag = info_frame(frames, n_samples)
        if len(tag) != TAG_FRAME_BYTES:
            raise ValueError("unexpected tag frame size")
        self.data[:TAG_FRAME_BYTES] = tag
        frames.release()
        out = bytes(self.data)
        self.data = bytearray()
        return out


def frame_count(data: bytes | memoryview) -> tuple[int, bytes]:
    """Number of MPEG-1 Layer III frames by walking the headers, and the first header."""
    pos, count, first = 0, 0, b""
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        if data[pos] != 0xFF or (b1 & 0xE0) != 0xE0:
            raise ValueError(f"lost MP3 frame sync at byte {pos}")
        size = 144000 * _BITRATES[b2 >> 4] // _RATES[(b2 >> 2) & 3] + ((b2 >> 1) & 1)
        if not first:
            first = bytes(data[pos : pos + 4])
        count += 1
        pos += size
    return count, first


def _crc16(data: bytes) -> int:
    """CRC-16/ARC (reflected 0xA001, initial 0), as LAME uses for the tag CRC."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def info_frame(frames: bytes | memoryview, n_samples: int) -> bytes:
    """A silent frame carrying the Xing "Info" block and LAME extension (delay and padding)."""
    n_frames, header = frame_count(frames)
    if not header:
        raise ValueError("no MP3 frames to tag")
    head = bytearray(header)
    head[2] &= 0xFD  # clear the padding bit: the tag frame has the nominal size
    bitrate = _BITRATES[head[2] >> 4]
    size = 144000 * bitrate // _RATES[(head[2] >> 2) & 3]
    mono = (head[3] >> 6) == 3
    frame = bytearray(size)
    frame[0:4] = head
    pos = 4 + (17 if mono else 32)
    total_bytes = size + len(frames)
    toc = bytes(i * 256 // 100 for i in range(100))
    frame[pos : pos + 120] = b"Info" + struct.pack(">III", 0x0F, n_frames, total_bytes) + toc + bytes(4)
    lame = pos + 120
    padding = n_frames * 1152 - n_samples - ENCODER_DELAY
    if not 0 <= padding < 4096:
        raise ValueError(f"padding {padding} does not fit the LAME tag")
    ext = bytearray(36)
    ext[0:9] = b"LAME3.100"
    ext[9] = 0x01  # tag revision 0, CBR
    ext[10] = 0xBA  # lowpass / 100 Hz
    # ext[11:19]: peak and two replay-gain fields, ext[19]: flags (all zero)
    ext[20] = min(bitrate, 255)
    ext[21:24] = bytes([ENCODER_DELAY >> 4, ((ENCODER_DELAY & 0xF) << 4) | (padding >> 8), padding & 0xFF])
    # ext[24:28]: misc, mp3gain, preset (zero)
    ext[28:32] = struct.pack(">I", total_bytes)
    # ext[32:34]: music CRC (0 is accepted)
    frame[lame : lame + 34] = ext[:34]
    crc_at = lame + 34
    frame[crc_at : crc_at + 2] = struct.pack(">H", _crc16(bytes(frame[:crc_at])))
    return bytes(frame)

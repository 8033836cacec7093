"""A tiny FIT encoder, for the tests and the demo's device files: a header, definition and data
messages, and the CRCs, enough for ``fitdecode`` to read a run (file_id, records, events, session, activity)."""

from __future__ import annotations

import datetime
import struct
from dataclasses import dataclass, field

FIT_EPOCH = datetime.datetime(1989, 12, 31, tzinfo=datetime.UTC)
_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip
# base type id -> struct format
_BASE = {0x00: "B", 0x02: "B", 0x84: "H", 0x85: "i", 0x86: "I", 0x8C: "I"}
# FIT enum values used here.
SPORT_RUNNING = 1
SUB_SPORTS = {"generic": 0, "treadmill": 1, "street": 2, "trail": 3, "track": 4, "indoor_running": 45}
EVENT_TIMER, STOP_ALL, START = 0, 4, 0


def crc(data: bytes, value: int = 0) -> int:
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = _CRC_TABLE[value & 0xF]
            value = ((value >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[nibble]
    return value


def fit_time(moment: datetime.datetime | int) -> int:
    """Seconds since the FIT epoch; an int is written as it is (a device system time)."""
    return moment if isinstance(moment, int) else int((moment - FIT_EPOCH).total_seconds())


def semicircles(degrees: float) -> int:
    return round(degrees * 2**31 / 180)


# message name -> (global number, [(field name, field number, base type)])
MESSAGES = {
    "file_id": (
        0,
        [("type", 0, 0x00), ("manufacturer", 1, 0x84), ("product", 2, 0x84), ("serial_number", 3, 0x8C),
         ("time_created", 4, 0x86)],
    ),
    "record": (
        20,
        [("timestamp", 253, 0x86), ("position_lat", 0, 0x85), ("position_long", 1, 0x85), ("distance", 5, 0x86),
         ("cadence", 4, 0x02), ("fractional_cadence", 53, 0x02)],
    ),
    "event": (21, [("timestamp", 253, 0x86), ("event", 0, 0x00), ("event_type", 1, 0x00)]),
    "session": (
        18,
        [("timestamp", 253, 0x86), ("start_time", 2, 0x86), ("sport", 5, 0x00), ("sub_sport", 6, 0x00),
         ("total_elapsed_time", 7, 0x86), ("total_timer_time", 8, 0x86), ("total_distance", 9, 0x86)],
    ),
    "activity": (
        34,
        [("timestamp", 253, 0x86), ("total_timer_time", 0, 0x86), ("num_sessions", 1, 0x84),
         ("local_timestamp", 5, 0x86)],
    ),
}  # fmt: skip
_INVALID = {"B": 0xFF, "H": 0xFFFF, "i": 0x7FFFFFFF, "I": 0xFFFFFFFF}


@dataclass
class FitWriter:
    """Messages appended in order, each kind defined once on its own local type."""

    body: bytearray = field(default_factory=bytearray)
    local: dict = field(default_factory=dict)

    def add(self, name: str, **values) -> FitWriter:
        number, fields = MESSAGES[name]
        if name not in self.local:
            self.local[name] = len(self.local)
            definition = struct.pack("<BBBHB", 0x40 | self.local[name], 0, 0, number, len(fields))
            for _, field_number, base in fields:
                definition += struct.pack("<BBB", field_number, struct.calcsize(_BASE[base]), base)
            self.body += definition
        data = struct.pack("<B", self.local[name])
        for field_name, _, base in fields:
            fmt = _BASE[base]
            value = values.get(field_name)
            data += struct.pack("<" + fmt, _INVALID[fmt] if value is None else value)
        self.body += data
        return self

    def bytes(self) -> bytes:
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", crc(header))
        content = header + bytes(self.body)
        return content + struct.pack("<H", crc(content))


def run_fit(
    *,
    start: datetime.datetime | int = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=datetime.UTC),
    seconds: int = 600,
    speed_m_s: float = 3.0,
    positions: bool = True,
    sub_sport: str = "street",
    pause: tuple[int, int] | None = None,
    cadence: float | None = 85.5,
    local_offset_s: int | None = 3600,
    total_distance: bool = True,
    serial: int = 3_900_000_001,
    lat0: float = 51.5,
    lon0: float = -0.12,
) -> bytes:
    """A run at 1 Hz: ``seconds`` of records at ``speed_m_s`` heading north, optionally with no
    positions (a treadmill), and a pause ``(at, length)`` in seconds during which the device
    records nothing (its timer stopped)."""
    writer = FitWriter()
    begin = fit_time(start)
    writer.add("file_id", type=4, manufacturer=1, product=1, serial_number=serial, time_created=begin)
    metres_per_degree = 111_195.0
    distance = 0.0
    clock = begin
    paused_s = 0
    for second in range(seconds):
        if pause and second == pause[0]:
            writer.add("event", timestamp=clock, event=EVENT_TIMER, event_type=STOP_ALL)
            clock += pause[1]
            paused_s = pause[1]
            writer.add("event", timestamp=clock, event=EVENT_TIMER, event_type=START)
        whole = None if cadence is None else int(cadence)
        fraction = None if cadence is None else round((cadence - int(cadence)) * 128)
        writer.add(
            "record",
            timestamp=clock,
            position_lat=semicircles(lat0 + distance / metres_per_degree) if positions else None,
            position_long=semicircles(lon0) if positions else None,
            distance=round(distance * 100),
            cadence=whole,
            fractional_cadence=fraction,
        )
        distance += speed_m_s
        clock += 1
    timer_s = seconds
    writer.add(
        "session",
        timestamp=clock,
        start_time=begin,
        sport=SPORT_RUNNING,
        sub_sport=SUB_SPORTS[sub_sport],
        total_elapsed_time=(seconds + paused_s) * 1000,
        total_timer_time=timer_s * 1000,
        total_distance=round(distance * 100) if total_distance else None,
    )
    writer.add(
        "activity",
        timestamp=clock,
        total_timer_time=timer_s * 1000,
        num_sessions=1,
        local_timestamp=None if local_offset_s is None else clock + local_offset_s,
    )
    return writer.bytes()

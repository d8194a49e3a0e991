#!/usr/bin/env python3
"""Independent reader of an Iris log directory, written from SPEC.md alone.

Usage: iris_spec_reader.py DIR [--summary]

Prints every record of the log's valid prefix as one JSON object per line, in the format of
`iris-log dump --json`:
  {"offset":N,"timestamp_us":T,"key_base64":"..","key":"..","value_base64":"..","value":"..",
   "headers":[{"name":"..","value_base64":"..","value":".."}]}
(`key`/`key_base64` only when the record has a key, `key`/`value` only when the bytes are valid
UTF-8, `headers` only when there are any).

Checks (SPEC.md §2-§5): segment names, frame alignment and padding, length limits, CRC32C of
every frame, magic/version/codec, record counts, offsets and the previousCRC chain within and
across segments, the record encoding, index files of sealed segments and checkpoint slots.
zstd frames (codec 1) are validated (CRC, chain) but their records cannot be decoded with the
standard library: they are skipped and counted.

Exit status: 0 when everything read is valid (an invalid frame in the last segment that shows
a torn write, an all-zero sector piece, followed by nothing but zero bytes beyond the unsynced
window is reported as a torn tail on stderr, not an error); 1 when corruption was found (each problem on stderr as "FILE at byte P: reason");
2 on usage or I/O errors. With --summary a JSON object with counts is the last line on stderr.
"""
import base64
import json
import os
import re
import struct
import sys

HEADER_SIZE = 48
FRAME_MAGIC = 0x4952
INDEX_MAGIC = 0x58495249
CHECKPOINT_MAGIC = 0x50435249
DEFAULT_BATCH_BYTES_MAX = 4 << 20
WRITE_GROUP_BYTES_MAX = 1 << 20


def torn_write_evidence(buf, position, window):
    """SPEC.md 6.2: the frame at `position` (its length when plausible, else its header) has a
    piece between 512-byte sector boundaries that is all zero, or runs past the end of the file
    while no longer than half the unsynced window."""
    available = len(buf) - position
    length = struct.unpack_from("<I", buf, position)[0] if available >= 4 else 0
    claimed = length if HEADER_SIZE <= length <= (1 << 30) else HEADER_SIZE
    if claimed > available:
        return claimed <= window // 2
    start, end = position, position + claimed
    while start < end:
        sector_end = min(end, (start // 512 + 1) * 512)
        if not any(buf[start:sector_end]):
            return True
        start = sector_end
    return False


def padded(length):
    return (length + 7) & ~7


FRAME_BYTES_MAX = 1 << 30  # the reading limit (SPEC §3.2)
WRITE_FRAME_BYTES_MAX = padded(HEADER_SIZE + DEFAULT_BATCH_BYTES_MAX + 64)  # 4,194,416 with the defaults
DEFAULT_UNSYNCED_WINDOW = 2 * max(WRITE_GROUP_BYTES_MAX, WRITE_FRAME_BYTES_MAX)  # SPEC §6.2


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    table = CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


class Defect(Exception):
    pass


def read_varint(buf, pos, end):
    result = 0
    shift = 0
    for i in range(10):
        if pos >= end:
            raise Defect("varint runs past the end")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            if result >= 1 << 64:
                raise Defect("varint above 64 bits")
            return result, pos
        shift += 7
    raise Defect("varint longer than 10 bytes")


def unzigzag(n):
    return (n >> 1) ^ -(n & 1)


def decode_records(payload, count, base_offset, base_timestamp):
    records = []
    pos = 0
    end = len(payload)
    for index in range(count):
        body_length, pos = read_varint(payload, pos, end)
        body_end = pos + body_length
        if body_end > end:
            raise Defect("record %d: body runs past the payload" % index)
        offset_delta, pos = read_varint(payload, pos, body_end)
        if offset_delta != index:
            raise Defect("record %d: offsetDelta %d" % (index, offset_delta))
        ts_delta, pos = read_varint(payload, pos, body_end)
        key_field, pos = read_varint(payload, pos, body_end)
        key = None
        if key_field > 0:
            if pos + key_field - 1 > body_end:
                raise Defect("record %d: key runs past the body" % index)
            key = bytes(payload[pos:pos + key_field - 1])
            pos += key_field - 1
        value_length, pos = read_varint(payload, pos, body_end)
        if pos + value_length > body_end:
            raise Defect("record %d: value runs past the body" % index)
        value = bytes(payload[pos:pos + value_length])
        pos += value_length
        header_count, pos = read_varint(payload, pos, body_end)
        headers = []
        for _ in range(header_count):
            name_length, pos = read_varint(payload, pos, body_end)
            if pos + name_length > body_end:
                raise Defect("record %d: header name runs past the body" % index)
            try:
                name = bytes(payload[pos:pos + name_length]).decode("utf-8")
            except UnicodeDecodeError:
                raise Defect("record %d: header name is not UTF-8" % index)
            pos += name_length
            hv_length, pos = read_varint(payload, pos, body_end)
            if pos + hv_length > body_end:
                raise Defect("record %d: header value runs past the body" % index)
            headers.append((name, bytes(payload[pos:pos + hv_length])))
            pos += hv_length
        if pos != body_end:
            raise Defect("record %d: %d unread body bytes" % (index, body_end - pos))
        timestamp = base_timestamp + unzigzag(ts_delta)
        # i64 arithmetic wraps like the writer's
        timestamp = (timestamp + (1 << 63)) % (1 << 64) - (1 << 63)
        records.append((base_offset + index, timestamp, key, value, headers))
    if pos != end:
        raise Defect("%d bytes follow the last record" % (end - pos))
    return records


def text_or_none(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def record_json(record):
    offset, timestamp, key, value, headers = record
    obj = {"offset": offset, "timestamp_us": timestamp}
    if key is not None:
        obj["key_base64"] = base64.b64encode(key).decode("ascii")
        text = text_or_none(key)
        if text is not None:
            obj["key"] = text
    obj["value_base64"] = base64.b64encode(value).decode("ascii")
    text = text_or_none(value)
    if text is not None:
        obj["value"] = text
    if headers:
        hs = []
        for name, hv in headers:
            h = {"name": name, "value_base64": base64.b64encode(hv).decode("ascii")}
            text = text_or_none(hv)
            if text is not None:
                h["value"] = text
            hs.append(h)
        obj["headers"] = hs
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def parse_header(buf, pos):
    (length, crc, magic, version, attributes, record_count, base_offset, term, base_timestamp,
     previous_crc, uncompressed_length) = struct.unpack_from("<IIHBBIQQqII", buf, pos)
    return {
        "length": length, "crc": crc, "magic": magic, "version": version, "attributes": attributes,
        "record_count": record_count, "base_offset": base_offset, "term": term,
        "base_timestamp": base_timestamp, "previous_crc": previous_crc,
        "uncompressed_length": uncompressed_length,
    }


def validate_frame(buf, pos, expected_offset, expected_previous_crc):
    """Returns the header of the valid frame at pos or raises Defect (SPEC §3.2 rules 1-5)."""
    end = len(buf)
    if end - pos < HEADER_SIZE:
        raise Defect("frame header truncated")
    h = parse_header(buf, pos)
    length = h["length"]
    if length < HEADER_SIZE or length > FRAME_BYTES_MAX:
        raise Defect("invalid frame length %d" % length)
    if pos + length > end:
        raise Defect("frame of %d bytes runs past the end of the file" % length)
    computed = crc32c(buf[pos + 8:pos + length])
    if computed != h["crc"]:
        raise Defect("CRC mismatch: stored 0x%x, computed 0x%x" % (h["crc"], computed))
    if h["magic"] != FRAME_MAGIC or h["version"] != 1:
        raise Defect("bad magic or version")
    codec = h["attributes"] & 7
    if codec not in (0, 1) or h["attributes"] >> 3:
        raise Defect("unknown codec or attribute bits")
    if h["record_count"] < 1:
        raise Defect("recordCount 0")
    if codec == 0 and h["uncompressed_length"] != length - HEADER_SIZE:
        raise Defect("uncompressedLength differs from the stored payload length")
    if h["uncompressed_length"] > FRAME_BYTES_MAX:
        raise Defect("uncompressedLength above frameBytesMax")
    if h["base_offset"] != expected_offset:
        raise Defect("baseOffset %d, expected %d" % (h["base_offset"], expected_offset))
    if expected_previous_crc is not None and h["previous_crc"] != expected_previous_crc:
        raise Defect("previousCRC 0x%x, expected 0x%x" % (h["previous_crc"], expected_previous_crc))
    h["codec"] = codec
    return h


def decode_checkpoint(data):
    best = None
    for start in (0, 4096):
        slot = data[start:start + 64]
        if len(slot) < 64:
            continue
        magic, version, sequence, segment_base, synced, next_offset, last_crc, window = struct.unpack_from("<IIQQQQII", slot, 0)
        (stored_crc,) = struct.unpack_from("<I", slot, 60)
        if magic != CHECKPOINT_MAGIC or version != 1 or stored_crc != crc32c(slot[:60]):
            continue
        if slot[48:60] != bytes(12):
            continue
        cp = {"sequence": sequence, "segment_base": segment_base, "synced": synced,
              "next_offset": next_offset, "last_crc": last_crc, "window": window}
        if best is None or cp["sequence"] > best["sequence"]:
            best = cp
    return best


def check_index(data, base, frame_starts, next_offset, data_end, last_crc, max_timestamp):
    """Returns None when the index file matches the segment, else a reason (SPEC §4)."""
    if len(data) < 48 or (len(data) - 48) % 8:
        return "size %d is not 8 * count + 48" % len(data)
    footer = len(data) - 48
    magic, count, nxt, dend, lcrc, zero, maxts, version, crc = struct.unpack_from("<IIQQIIqII", data, footer)
    if magic != INDEX_MAGIC:
        return "bad magic"
    if crc != crc32c(data[:footer + 44]):
        return "CRC mismatch"
    if version != 1 or count != footer // 8 or zero != 0:
        return "bad version, count or reserved field"
    if nxt != next_offset or dend != data_end or lcrc != last_crc or maxts != max_timestamp:
        return "footer (%d, %d, 0x%x, %d) differs from the segment (%d, %d, 0x%x, %d)" % (
            nxt, dend, lcrc, maxts, next_offset, data_end, last_crc, max_timestamp)
    previous = None
    for i in range(count):
        rel, position = struct.unpack_from("<II", data, i * 8)
        if previous is not None and not (previous[0] < rel and previous[1] < position):
            return "entry %d does not increase" % i
        previous = (rel, position)
        if position % 8 or position >= data_end or frame_starts.get(position) != base + rel:
            return "entry %d (offset %d, byte %d) is not a frame start" % (i, base + rel, position)
    return None


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    flags = [a for a in argv[1:] if a.startswith("--")]
    if len(args) != 1 or any(f not in ("--summary",) for f in flags):
        sys.stderr.write("usage: iris_spec_reader.py DIR [--summary]\n")
        return 2
    directory = args[0]
    try:
        names = os.listdir(directory)
    except OSError as error:
        sys.stderr.write("cannot list %s: %s\n" % (directory, error))
        return 2
    segment_re = re.compile(r"^([0-9]{20})\.log$")
    bases = sorted(int(m.group(1)) for m in (segment_re.match(n) for n in names) if m)
    stats = {"segments": len(bases), "frames": 0, "records": 0, "printed_records": 0,
             "skipped_compressed_frames": 0, "skipped_compressed_records": 0,
             "indexes_checked": 0, "torn_tail": False, "errors": 0}
    errors = []
    out = sys.stdout

    checkpoint = None
    if "checkpoint" in names:
        with open(os.path.join(directory, "checkpoint"), "rb") as f:
            data = f.read()
        checkpoint = decode_checkpoint(data)
        if checkpoint is None and any(data):
            errors.append("checkpoint at byte 0: no valid slot")
    window = checkpoint["window"] if checkpoint else DEFAULT_UNSYNCED_WINDOW

    expected_offset = bases[0] if bases else 0
    # The log's first frame has previousCRC 0 (§3.1); after retention the oldest segment's first
    # frame is not checked (§3.2 rule 5).
    previous_crc = 0 if bases and bases[0] == 0 else None
    for number, base in enumerate(bases):
        name = "%020d.log" % base
        is_last = number == len(bases) - 1
        if base != expected_offset:
            errors.append("%s at byte 0: segment starts at offset %d, expected %d (gap)" % (name, base, expected_offset))
            break
        with open(os.path.join(directory, name), "rb") as f:
            buf = memoryview(f.read())
        pos = 0
        frame_starts = {}
        last_crc = previous_crc
        max_ts = -(1 << 63)
        stop = None
        while pos < len(buf):
            if len(buf) - pos < 4 or struct.unpack_from("<I", buf, pos)[0] == 0:
                if any(buf[pos:]):
                    stop = (pos, "zero length field followed by non-zero bytes")
                break
            try:
                h = validate_frame(buf, pos, expected_offset, previous_crc)
                if h["codec"] == 0:
                    records = decode_records(buf[pos + HEADER_SIZE:pos + h["length"]], h["record_count"],
                                             h["base_offset"], h["base_timestamp"])
                else:
                    records = None
            except Defect as defect:
                stop = (pos, str(defect))
                break
            if any(buf[pos + h["length"]:pos + padded(h["length"])]):
                stop = (pos, "non-zero padding")
                break
            frame_starts[pos] = h["base_offset"]
            stats["frames"] += 1
            stats["records"] += h["record_count"]
            if records is None:
                stats["skipped_compressed_frames"] += 1
                stats["skipped_compressed_records"] += h["record_count"]
            else:
                for record in records:
                    out.write(record_json(record) + "\n")
                    stats["printed_records"] += 1
            expected_offset = h["base_offset"] + h["record_count"]
            previous_crc = h["crc"]
            last_crc = h["crc"]
            max_ts = max(max_ts, h["base_timestamp"])
            pos += padded(h["length"])
        if stop is not None:
            position, reason = stop
            synced = 0
            if checkpoint:
                if checkpoint["segment_base"] == base:
                    synced = checkpoint["synced"]
                elif checkpoint["segment_base"] > base:
                    synced = 1 << 64
            torn = (is_last and position >= synced and torn_write_evidence(buf, position, window)
                    and not any(buf[position + window:]))
            if torn:
                stats["torn_tail"] = True
                sys.stderr.write("%s at byte %d: torn tail (%s)\n" % (name, position, reason))
            else:
                errors.append("%s at byte %d: %s" % (name, position, reason))
            break
        if not is_last:
            index_name = "%020d.index" % base
            if index_name in names:
                with open(os.path.join(directory, index_name), "rb") as f:
                    problem = check_index(f.read(), base, frame_starts, expected_offset, pos, last_crc or 0, max_ts)
                stats["indexes_checked"] += 1
                if problem:
                    errors.append("%s: %s" % (index_name, problem))
    out.flush()
    for error in errors:
        sys.stderr.write(error + "\n")
    stats["errors"] = len(errors)
    if stats["skipped_compressed_frames"]:
        sys.stderr.write("skipped %d zstd frames (%d records): the standard library has no zstd\n" % (
            stats["skipped_compressed_frames"], stats["skipped_compressed_records"]))
    if "--summary" in flags:
        sys.stderr.write(json.dumps(stats, separators=(",", ":")) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.exit(0)

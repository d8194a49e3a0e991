"""Self-test of the chaos checker on synthetic evidence: a clean case and each kind of
violation, each flagged exactly (no other kind). Run: `Tools/iris-chaos/run.sh --self-test`
or `cd Tools/iris-chaos && python3 -m unittest test_checker`."""

import json
import unittest

from checker import PartitionEvidence, Record, check, check_partition, record_from_json, unknown_landed
from dump import parse_dump

TERM_MARKER = (("iris.term", b"\x01"),)


def clean_partition(replicas=(1, 2, 3), count=6):
    """A log with a term-start marker at 0 and client values 1..count, on every replica,
    every value acknowledged and seen by the follower."""
    records = [Record(offset=0, value=b"", headers=TERM_MARKER, timestamp_us=10)]
    records += [Record(offset=n, value=f"s1-p0-{n}".encode(), timestamp_us=10 + n) for n in range(1, count + 1)]
    return PartitionEvidence(
        replicas=list(replicas),
        logs={node: list(records) for node in replicas},
        verify={node: (0, "clean") for node in replicas},
        acks={record.value: record.offset for record in records if not record.is_system},
        observed=[(record.offset, record.value) for record in records if not record.is_system],
        committed_end=count + 1,
    )


def kinds(violations):
    return sorted({violation["kind"] for violation in violations})


class CheckerTests(unittest.TestCase):
    def test_clean_run_has_no_violation(self):
        self.assertEqual(check({0: clean_partition(), 1: clean_partition()}), [])

    def test_unknown_outcome_present_once_or_absent_is_fine(self):
        evidence = clean_partition()
        evidence.unknown = {b"s1-p0-6", b"s1-p0-99"}   # one landed, one did not
        del evidence.acks[b"s1-p0-6"]
        self.assertEqual(check_partition(0, evidence), [])
        self.assertEqual(unknown_landed(evidence), 1)

    def test_lost_ack_is_flagged(self):
        evidence = clean_partition()
        evidence.acks[b"s1-p0-7"] = 7        # acknowledged, but no replica has offset 7
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["lost_ack"])
        self.assertEqual(found[0]["offset"], 7)

    def test_ack_held_by_minority_only_is_lost(self):
        evidence = clean_partition()
        late = Record(offset=7, value=b"s1-p0-7", timestamp_us=20)
        evidence.logs[1].append(late)
        evidence.acks[b"s1-p0-7"] = 7
        self.assertIn("lost_ack", kinds(check_partition(0, evidence)))

    def test_ack_at_another_offset_is_lost(self):
        evidence = clean_partition()
        evidence.acks[b"s1-p0-3"] = 4         # the client was told 4; the logs hold it at 3
        evidence.acks[b"s1-p0-4"] = 3
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["lost_ack"])
        self.assertEqual(len(found), 2)

    def test_duplicate_is_flagged(self):
        evidence = clean_partition()
        twice = Record(offset=7, value=b"s1-p0-3", timestamp_us=20)
        for node in evidence.replicas:
            evidence.logs[node].append(twice)
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["duplicate"])
        self.assertEqual(len(found), 1)

    def test_unknown_outcome_appearing_twice_is_a_duplicate(self):
        evidence = clean_partition()
        evidence.unknown = {b"u"}
        for node in evidence.replicas:
            evidence.logs[node] += [Record(offset=7, value=b"u"), Record(offset=8, value=b"u")]
        self.assertEqual(kinds(check_partition(0, evidence)), ["duplicate"])

    def test_divergent_replica_is_flagged(self):
        evidence = clean_partition()
        evidence.logs[3][2] = Record(offset=2, value=b"s1-p0-2", timestamp_us=999)   # same value, other bytes
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["divergent"])
        self.assertEqual(found[0]["offset"], 2)

    def test_divergent_header_is_flagged(self):
        evidence = clean_partition()
        evidence.logs[2][0] = Record(offset=0, value=b"", headers=(("iris.term", b"\x02"),), timestamp_us=10)
        self.assertEqual(kinds(check_partition(0, evidence)), ["divergent"])

    def test_changed_committed_offset_is_flagged(self):
        evidence = clean_partition()
        evidence.observed.append((3, b"s1-p0-other"))    # the follower once saw another value at 3
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["changed_committed"])

    def test_observed_value_missing_from_final_logs_is_flagged(self):
        evidence = clean_partition()
        evidence.unknown = {b"gone"}
        evidence.observed.append((7, b"gone"))
        self.assertIn("changed_committed", kinds(check_partition(0, evidence)))

    def test_straggler_is_flagged_alone(self):
        evidence = clean_partition()
        evidence.logs[3] = evidence.logs[3][:5]
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["straggler"])
        self.assertEqual((found[0]["node"], found[0]["offset"]), (3, 5))

    def test_uncommitted_tail_may_differ(self):
        evidence = clean_partition()
        evidence.unknown = {b"maybe"}
        evidence.logs[1].append(Record(offset=7, value=b"maybe"))   # past the committed prefix
        self.assertEqual(check_partition(0, evidence), [])

    def test_phantom_value_is_flagged(self):
        evidence = clean_partition()
        for node in evidence.replicas:
            evidence.logs[node].append(Record(offset=7, value=b"nobody-sent-this"))
        self.assertEqual(kinds(check_partition(0, evidence)), ["phantom"])

    def test_verify_failure_and_missing_replica_are_flagged(self):
        evidence = clean_partition()
        evidence.verify[2] = (1, "corruption in 00000000000000000000.log at byte 4096")
        del evidence.logs[3]
        evidence.dump_errors[3] = "no such directory"
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["missing_replica", "verify_failed"])

    def test_system_record_is_not_a_client_value(self):
        evidence = clean_partition()
        marker = Record(offset=7, value=b"s1-p0-1", headers=TERM_MARKER)   # same bytes as a client value
        for node in evidence.replicas:
            evidence.logs[node].append(marker)
        self.assertEqual(check_partition(0, evidence), [])

    def test_reports_are_capped(self):
        evidence = clean_partition(count=0)
        evidence.acks = {f"v{n}".encode(): n + 1 for n in range(50)}
        found = check_partition(0, evidence)
        self.assertEqual(kinds(found), ["lost_ack"])
        self.assertEqual(len(found), 21)


class DumpParsingTests(unittest.TestCase):
    def test_dump_line_round_trip(self):
        line = json.dumps({"offset": 5, "timestamp_us": 7, "key_base64": "aw==", "key": "k",
                           "value_base64": "aGk=", "value": "hi",
                           "headers": [{"name": "iris.term", "value_base64": "AQ=="}]})
        record = record_from_json(json.loads(line))
        self.assertEqual((record.offset, record.value, record.key, record.timestamp_us), (5, b"hi", b"k", 7))
        self.assertTrue(record.is_system)

    def test_parse_dump_keeps_valid_prefix_and_reports_garbage(self):
        text = '{"offset":0,"timestamp_us":1,"value_base64":"YQ=="}\nnot json\n'
        records, problems = parse_dump(text)
        self.assertEqual([record.value for record in records], [b"a"])
        self.assertEqual(len(problems), 1)


if __name__ == "__main__":
    unittest.main()

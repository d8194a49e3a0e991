"""Tests of the `info --cluster --json` parser: the field spellings it accepts, and what it skips."""

import json
import unittest

from cluster_info import parse_info


class ClusterInfoTests(unittest.TestCase):
    def test_object_with_partition_list(self):
        text = json.dumps({"nodes": [{"id": 1, "address": "127.0.0.11:7100"}],
                           "partitions": [{"partition": 0, "leader": 2, "leader_address": "127.0.0.12:7100",
                                           "term": 4, "commit_offset": 17, "replicas": [2, 1, 3]},
                                          {"partition": 1, "leader": 0, "term": 1, "commit_offset": 0, "replicas": [1, 2, 3]}]})
        statuses = parse_info(text)
        self.assertEqual(statuses[0].leader, 2)
        self.assertEqual((statuses[0].term, statuses[0].commit_offset, statuses[0].replicas), (4, 17, (2, 1, 3)))
        self.assertIsNone(statuses[1].leader)

    def test_one_object_per_line_and_other_spellings(self):
        text = ('{"id":0,"leader_id":"3","term":2,"commitOffset":5,"members":[{"id":3},{"id":1}]}\n'
                '{"id":1,"leader":null,"term":1,"replicas":[1,2]}\n')
        statuses = parse_info(text)
        self.assertEqual((statuses[0].leader, statuses[0].commit_offset, statuses[0].replicas), (3, 5, (3, 1)))
        self.assertIsNone(statuses[1].leader)
        self.assertIsNone(statuses[1].commit_offset)

    def test_partitions_keyed_by_number(self):
        statuses = parse_info(json.dumps({"partitions": {"2": {"leader": 1, "term": 3, "replicas": [1]}}}))
        self.assertEqual(list(statuses), [2])

    def test_entries_without_a_partition_number_are_skipped(self):
        self.assertEqual(parse_info(json.dumps({"partitions": [{"leader": 1}, "x", {"partition": True}]})), {})


if __name__ == "__main__":
    unittest.main()

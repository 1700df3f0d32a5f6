"""Tests of the prescription plumbing the example plugins share: running cases read from the
CSV, and prescriptions turned into protobuf messages.

Run after ./generate.sh:  cd examples/python && /usr/bin/python3 -m unittest -v
"""

from __future__ import annotations

import unittest

import core_connection  # noqa: F401 - puts the generated stubs on sys.path
from google.protobuf import json_format
from google.protobuf import struct_pb2
from prescriptions import Prescription, case_of_prefix, read_running_cases, to_proto
from trainingcore.v1 import plugin_service_pb2 as pb


class CaseOfPrefixTest(unittest.TestCase):
    def test_a_live_case_keeps_its_events_in_order_as_strings(self) -> None:
        first, second = struct_pb2.Struct(), struct_pb2.Struct()
        first.update({"CASE_ID": "a", "ACTIVITY": "register", "RESOURCE": ""})
        second.update({"CASE_ID": "a", "ACTIVITY": "check"})
        case = case_of_prefix(pb.CasePrefix(case_id="a", events=[first, second]))
        self.assertEqual(case.case_id, "a")
        self.assertEqual(
            case.events,
            [{"CASE_ID": "a", "ACTIVITY": "register"}, {"CASE_ID": "a", "ACTIVITY": "check"}],
        )


class ReadRunningCasesTest(unittest.TestCase):
    def test_groups_contiguous_rows_by_case_and_leaves_empty_cells_out(self) -> None:
        header = ["CASE_ID", "ACTIVITY", "TIMESTAMP", "RESOURCE"]
        rows = [
            ["a", "register", "2024-01-01T00:00:00.000Z", "ann"],
            ["a", "check", "2024-01-01T01:00:00.000Z", ""],
            ["b", "register", "2024-01-02T00:00:00.000Z", "bob"],
        ]
        cases = list(read_running_cases(iter(rows), header))
        self.assertEqual([case.case_id for case in cases], ["a", "b"])
        self.assertEqual(
            cases[0].events[1],
            {"CASE_ID": "a", "ACTIVITY": "check", "TIMESTAMP": "2024-01-01T01:00:00.000Z"},
        )
        self.assertEqual(len(cases[1].events), 1)

    def test_no_rows_no_cases(self) -> None:
        self.assertEqual(list(read_running_cases(iter([]), ["CASE_ID"])), [])


class ToProtoTest(unittest.TestCase):
    def test_every_json_value_as_output(self) -> None:
        for output in [None, 0.25, "x", True, [1, "a", None], {"p": 0.5}]:
            message = to_proto("c1", Prescription("ALARM", output, model={"name": "m"}))
            self.assertEqual(message.case_id, "c1")
            self.assertEqual(json_format.MessageToDict(message.prescription.output), output)
            self.assertEqual(dict(message.prescription.model), {"name": "m"})


if __name__ == "__main__":
    unittest.main()

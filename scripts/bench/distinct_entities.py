#!/usr/bin/env python3
"""Writes events with one new process.entity_id each, for the memory benchmark.

With --pending N, the first N events are LOLBin process starts that stay pending (no network event follows), so
the matcher holds N sequences; the rest are file events of other processes.
"""

import argparse
import json
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, required=True)
    parser.add_argument("--pending", type=int, default=0)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    base = 1_704_067_200_000
    with open(args.output, "w") as out:
        for index in range(args.entities):
            millis = base + index  # one event per millisecond, all inside the 9-minute window for 540,000 events
            stamp = "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)), millis % 1000)
            is_start = index < args.pending
            event = {
                "@timestamp": stamp,
                "event": {"category": ["process" if is_start else "file"], "type": ["start" if is_start else "creation"]},
                "host": {"name": "host-%d" % (index % 500)},
                "process": {"entity_id": "{%08x-0000-0000-0000-%012x}" % (index, index),
                            "name": "expand.exe" if is_start else "notepad.exe", "pid": index % 65000},
                "user": {"name": "user-%d" % (index % 100)},
            }
            out.write(json.dumps(event, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

"""Generated ECS event streams for the differential test: many keys, equal timestamps, arrays, missing fields,
mixed case and odd IP text."""

import datetime
import json
import random

NAMES = ["expand.exe", "EXPAND.EXE", "Expand.exe", "makecab.exe", "MakeCab.exe", "cmd.exe", "CMD.EXE",
         "powershell.exe", "svchost.exe", "extrac32.exe", "ieexec.exe", "exp.exe", "expand"]
USERS = ["alice", "Alice", "ALICE", "bob", "carol", None]
ADDRESSES = ["8.8.8.8", "8.8.4.4", "10.1.2.3", "10.200.0.9", "127.0.0.1", "::ffff:10.1.2.3", "::FFFF:8.8.8.8",
             "010.1.2.3", "0:0:0:0:0:0:0:1", "::1", "FE80::1", "fe80::1%eth0", "2001:db8::1", "2001:DB8:0:0:0:0:0:2",
             "ff02:0:0:0:0:0:1:3", "224.0.0.251", "not-an-ip", "", "1.2.3", "256.1.1.1", "192.168.1.1"]
COMMAND_LINES = ["powershell.exe -enc AAAA", "cmd.exe /c whoami", "expand.exe -ENC x", "makecab.exe a b",
                 "svchost.exe -k netsvcs", "tool -enc", "x -enc y z"]
CATEGORIES = ["process", "network", "file"]


def _format_time(nanos, digits):
    seconds, fraction = divmod(nanos, 10**9)
    text = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + ("%09d" % fraction)[:digits]
    return text + "Z"


def generate(seed, count):
    """Returns `count` events as dicts, in time order (many share a timestamp)."""
    rng = random.Random(seed)
    keys = ["{%032x}" % rng.getrandbits(128) for _ in range(300)]
    keys += [key.upper() for key in keys[:30]]  # the same entity in another case must not join
    now = 1_704_067_200 * 10**9
    events = []
    for index in range(count):
        now += rng.choice([0, 0, 0, 1_000_000, 20_000_000, 300_000_000, 1_000_000_000, 45_000_000_000])
        digits = rng.choice([0, 3, 3, 6, 9])
        # Rounding to the printed precision keeps the reference and the engine on the same instant.
        step = 10 ** (9 - digits)
        nanos = now - now % step
        category = rng.choice(CATEGORIES)
        event = {"@timestamp": _format_time(nanos, digits), "event": {"id": "e%d" % index}}
        if rng.random() < 0.8:
            # Small values, so equal timestamps often have equal or missing tiebreakers too.
            event["event"]["sequence"] = rng.randint(0, 20)
        # Ingest time, a few seconds off the event time, for rules that order by timestamp_override.
        created = nanos + rng.choice([-5, -1, 0, 0, 2, 7]) * 10**9
        event["event"]["created"] = _format_time(created - created % 10**6, 3)
        shape = rng.random()
        if shape < 0.45:
            event["event"]["category"] = [category]
        elif shape < 0.85:
            event["event"]["category"] = category
        elif shape < 0.93:
            event["event"]["category"] = [category, rng.choice(CATEGORIES)]
        # else: no event.category
        kind = rng.random()
        if kind < 0.4:
            event["event"]["type"] = ["start"]
        elif kind < 0.6:
            event["event"]["type"] = "end"
        elif kind < 0.8:
            event["event"]["type"] = ["connection", "start"]
        process = {}
        key_roll = rng.random()
        if key_roll < 0.9:
            process["entity_id"] = rng.choice(keys)
        elif key_roll < 0.93:
            process["entity_id"] = None
        elif key_roll < 0.96:
            # Two different values: a repeated value is one value to Elasticsearch's doc values, while the
            # reference engine would make the event a candidate twice.
            process["entity_id"] = rng.sample(keys, 2)
        if rng.random() < 0.95:
            process["name"] = rng.choice(NAMES)
        if rng.random() < 0.9:
            process["pid"] = rng.randint(1, 5000)
        if rng.random() < 0.7:
            process["command_line"] = rng.choice(COMMAND_LINES)
        if rng.random() < 0.05:
            process["name"] = [rng.choice(NAMES), rng.choice(NAMES)]
        event["process"] = process
        user = rng.choice(USERS)
        if user is not None:
            event["user"] = {"name": user}
        if category == "network" or rng.random() < 0.05:
            roll = rng.random()
            if roll < 0.85:
                event["destination"] = {"ip": rng.choice(ADDRESSES)}
            elif roll < 0.92:
                event["destination"] = {"ip": [rng.choice(ADDRESSES), rng.choice(ADDRESSES)]}
        if category == "file":
            size = rng.randint(0, 100000)
            event["file"] = {"size_text": str(size)}
        if rng.random() < 0.05 and "name" in process and isinstance(process["name"], str):
            # Some producers write dotted keys; they must read the same as nested ones.
            event["process.name"] = process.pop("name")
        events.append(event)
    return events


def write(path, events):
    with open(path, "w") as handle:
        for event in events:
            handle.write(json.dumps(event) + "\n")

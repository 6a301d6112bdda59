"""Build the fault test's input: generated traffic plus long planted sequences, and the alerts it must produce.

`eqlstream generate` plants sequences whose two events lie at most 2 s apart. The fault test adds sequences whose
network event follows the process start by 15 s to 3 min, so that restarts, rebalances and broker outages fall
between the two events of a sequence. The expected alerts are computed here from the events themselves, with the
rule's own process names and address blocks, independently of the engine under test.
"""

import copy
import datetime
import ipaddress
import json
import re
import subprocess

# Every generated event's time is an offset from this instant. A fixed start makes the same seed give the same
# bytes, and a start in the past keeps every event behind the wall clock, as in real traffic.
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


class Event:
    __slots__ = ("time", "key", "json")

    def __init__(self, time, key, text):
        self.time = time  # seconds after START
        self.key = key
        self.json = text


def format_time(seconds):
    instant = START + datetime.timedelta(seconds=seconds)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def parse_time(text):
    instant = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (instant - START).total_seconds()


class RuleShape:
    """The parts of the shipped rule this test relies on: the process names and the excluded address blocks."""

    def __init__(self, rule_path):
        with open(rule_path, encoding="utf-8") as handle:
            query = json.load(handle)["query"]
        self.names = {name.lower() for name in re.findall(r'process\.name : "([^"]+)"', query)}
        blocks = re.search(r"cidrmatch\(destination\.ip, ([^)]*)\)", query).group(1)
        self.blocks = [ipaddress.ip_network(block.strip().strip('"'), strict=False)
                       for block in blocks.split(",")]
        if not self.names or not self.blocks:
            raise ValueError(f"{rule_path}: the query no longer has the expected shape: {query[:200]}")

    def is_start(self, event):
        process = event.get("process") or {}
        kind = event.get("event") or {}
        return ("process" in kind.get("category", []) and "start" in kind.get("type", [])
                and str(process.get("name", "")).lower() in self.names)

    def is_outbound(self, event):
        process = event.get("process") or {}
        kind = event.get("event") or {}
        if "network" not in kind.get("category", []) or str(process.get("name", "")).lower() not in self.names:
            return False
        address = (event.get("destination") or {}).get("ip")
        if address is None:
            return True  # cidrmatch on a missing field is false, so its negation is true
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return True
        if parsed.version == 6 and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        return not any(parsed.version == block.version and parsed in block for block in self.blocks)


def expected_sequences(events, shape):
    """Returns the keys (process.entity_id) that must each get exactly one alert, in the rule's sequence semantics:
    a newer start replaces a pending one, and a matching network event completes the pending start of its key."""
    pending = set()
    completed = []
    for event in events:
        if "expand" not in event.json and "extrac32" not in event.json and "ieexec" not in event.json \
                and "makecab" not in event.json:
            continue  # cheap pre-filter: only the rule's process names can take part
        document = json.loads(event.json)
        if shape.is_start(document):
            pending.add(event.key)
        elif shape.is_outbound(document) and event.key in pending:
            pending.discard(event.key)
            completed.append(event.key)
    return completed


def generate(binary, count, seed, rate, plant_every, path):
    subprocess.run(
        [binary, "generate", "--count", str(count), "--seed", str(seed), "--rate", str(rate),
         "--plant-every", str(plant_every), "--start", format_time(0), "--key-separator", "|", "--output", path],
        check=True, stderr=subprocess.DEVNULL, timeout=300)
    events = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            key, text = line.rstrip("\n").split("|", 1)
            time_text = text[text.index('"@timestamp":"') + 14:]
            events.append(Event(parse_time(time_text[:time_text.index('"')]), key, text))
    return events


def plant_long_sequences(events, shape, rng, count, near_misses, duration):
    """Adds `count` sequences whose network event follows the start by 15 s to 3 min, and `near_misses` such pairs
    whose connection goes to a private address. Returns the keys of the added sequences that must alert."""
    start_template = network_template = None
    for event in events:
        if start_template is not None and network_template is not None:
            break
        document = json.loads(event.json) if any(name in event.json for name in shape.names) else None
        if document is None:
            continue
        if start_template is None and shape.is_start(document):
            start_template = document
        elif network_template is None and shape.is_outbound(document):
            network_template = document
    if start_template is None or network_template is None:
        raise RuntimeError("the generated traffic has no planted sequence to copy; try another --seed")
    public = ["40.77.226.250", "151.101.1.69", "93.184.216.34", "2606:4700::6810:84e5", "8.8.4.4", "52.96.0.1"]
    private = ["10.20.1.5", "192.168.4.20", "172.16.9.1", "127.0.0.1", "fe80::1c2:3ff:fe4d:5e6f"]
    planted = []
    added = []
    for index in range(count + near_misses):
        is_planted = index < count
        key = "{%08x-fa17-4e57-8000-%012x}" % (index, rng.getrandbits(48))
        name = rng.choice(sorted(shape.names))
        start_time = rng.uniform(0.03 * duration, 0.6 * duration)
        gap = rng.uniform(15.0, max(15.0, min(180.0, 0.95 * duration - start_time)))
        start = copy.deepcopy(start_template)
        network = copy.deepcopy(network_template)
        for document, time in ((start, start_time), (network, start_time + gap)):
            document["@timestamp"] = format_time(time)
            document["process"]["entity_id"] = key
            document["process"]["name"] = name
            document["process"]["pid"] = 1000 + index
        network["destination"]["ip"] = rng.choice(public if is_planted else private)
        added.append(Event(start_time, key, json.dumps(start, separators=(",", ":"))))
        added.append(Event(start_time + gap, key, json.dumps(network, separators=(",", ":"))))
        if is_planted:
            planted.append(key)
    events.extend(added)
    events.sort(key=lambda event: event.time)
    return planted

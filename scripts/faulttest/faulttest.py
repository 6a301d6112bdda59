#!/usr/bin/env python3
"""Fault test of eqlstream's delivery promise: every planted sequence gets exactly one alert, whatever happens.

It starts `eqlstream dev-broker` (three brokers) and a consumer group of `eqlstream run` members, produces generated
traffic with planted sequences paced over time, and meanwhile kills members with SIGKILL, adds and removes members,
takes brokers down and up and injects request errors. At the end it reads the alerts topic and checks that each
planted sequence has exactly one alert, that no alert id appears twice, that no alert belongs to an unplanted
sequence, and that the group's committed offsets never went backwards while it sampled them.

Usage: faulttest.py --short | --long [--seed N] [--binary PATH] [--workdir DIR]
Exit status: 0 when every check passes, 1 when a check fails, 2 when the test itself could not run as planned.
"""

import argparse
import collections
import heapq
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kafkawire  # noqa: E402
import processes  # noqa: E402
import traffic  # noqa: E402

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Request errors the test injects: (API key, error code, count, what it exercises). Produce errors are left out:
# after an injected NOT_LEADER_FOR_PARTITION the mock cluster of librdkafka 2.0.2 can acknowledge a produce it
# never wrote, which would show up as a lost alert that no real broker would cause.
REQUEST_ERRORS = [
    (8, 27, 2, "OffsetCommit REBALANCE_IN_PROGRESS"),
    (8, 16, 2, "OffsetCommit NOT_COORDINATOR"),
    (8, 15, 3, "OffsetCommit COORDINATOR_NOT_AVAILABLE"),
    (8, 22, 1, "OffsetCommit ILLEGAL_GENERATION"),
    (12, 27, 1, "Heartbeat REBALANCE_IN_PROGRESS"),
    (1, 6, 3, "Fetch NOT_LEADER_OR_FOLLOWER"),
    (1, 7, 3, "Fetch REQUEST_TIMED_OUT"),
]


class Form:
    """How long the test runs, how much traffic it produces and how many faults it injects."""

    def __init__(self, name, duration, rate, partitions, long_sequences, kills, joins, outages, error_injections,
                 drain_timeout):
        self.name = name
        self.duration = duration  # seconds of produced traffic, which is also the time faults are injected in
        self.rate = rate  # events per second
        self.partitions = partitions
        self.long_sequences = long_sequences
        self.kills = kills
        self.joins = joins
        self.outages = outages
        self.error_injections = error_injections
        self.drain_timeout = drain_timeout


SHORT = Form("short", duration=130, rate=40, partitions=8, long_sequences=12, kills=6, joins=2, outages=2,
             error_injections=4, drain_timeout=60)
# The long form keeps every partition of the input under the mock cluster's 5 MiB retention: about 20 events of
# about 2 kB per second for 15 minutes over 16 partitions is about 2.3 MB each.
LONG = Form("long", duration=900, rate=20, partitions=16, long_sequences=60, kills=55, joins=12, outages=12,
            error_injections=24, drain_timeout=180)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def find_binary(explicit):
    candidates = [explicit, os.environ.get("EQLSTREAM_BINARY"),
                  os.path.join(REPOSITORY, ".build", "release", "eqlstream"),
                  os.path.join(REPOSITORY, ".build", "debug", "eqlstream")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise SystemExit("faulttest: no eqlstream binary found; build it (swift build) or pass --binary PATH")


class OffsetWatcher(threading.Thread):
    """Samples the group's committed offsets and records every partition whose offset went backwards."""

    def __init__(self, bootstrap, group, topic, partitions, interval=0.5):
        super().__init__(daemon=True)
        self.bootstrap, self.group, self.topic = bootstrap, group, topic
        self.partitions = list(range(partitions))
        self.interval = interval
        self.stop_event = threading.Event()
        self.samples = 0
        self.changes = 0
        self.regressions = []  # (time, partition, previous offset, new offset)
        self.checkpoint_regressions = []  # the checkpoint's e= value going backwards, for information
        self.last = {}

    def run(self):
        connection = None
        while not self.stop_event.wait(self.interval):
            try:
                if connection is None:
                    found = kafkawire.find_coordinator(self.bootstrap, self.group)
                    if found is None:
                        continue
                    connection = kafkawire.Connection(*found, timeout=3.0)
                current = kafkawire.fetch_committed(connection, self.group, self.topic, self.partitions)
            except (OSError, ConnectionError, ValueError, IndexError, struct.error) as error:
                if connection is not None:
                    connection.close()
                connection = None
                if isinstance(error, ValueError) and "rejected connection" in str(error):
                    raise
                continue
            self.samples += 1
            for partition, (offset, metadata) in current.items():
                match = re.search(r"e=(-?\d+)", metadata)
                emitted = int(match.group(1)) if match else None
                if partition in self.last:
                    previous_offset, previous_emitted = self.last[partition]
                    if offset < previous_offset:
                        self.regressions.append((time.strftime("%H:%M:%S"), partition, previous_offset, offset))
                        log(f"committed offset went backwards: partition {partition} {previous_offset} -> {offset}")
                    if emitted is not None and previous_emitted is not None and emitted < previous_emitted:
                        self.checkpoint_regressions.append((partition, previous_emitted, emitted))
                    if (offset, emitted) != (previous_offset, previous_emitted):
                        self.changes += 1
                self.last[partition] = (offset, emitted)
        if connection is not None:
            connection.close()


class FaultRun:
    def __init__(self, form, seed, binary, workdir, tamper=False):
        self.form = form
        self.tamper = tamper
        self.seed = seed
        self.binary = binary
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.group = f"faulttest-{seed}"
        self.figures = collections.OrderedDict()
        self.counts = collections.Counter()
        self.broker = None
        self.members = {}
        self.leaving = set()
        self.kept_running = {"a", "b"}
        self.threads = []

    # MARK: Setup

    def member_arguments(self):
        settings = {
            "kafka.bootstrap.servers": self.broker.bootstrap,
            "input.topics": "events",
            "output.topic": "alerts",
            "rules.path": os.path.join(REPOSITORY, "config", "rules"),
            "kafka.group.id": self.group,
            "kafka.consumer.session.timeout.ms": "6000",
            "kafka.consumer.heartbeat.interval.ms": "1000",
            "log.level": "info",
        }
        arguments = [self.binary, "run"]
        for key, value in settings.items():
            arguments += ["--set", f"{key}={value}"]
        return arguments

    def member(self, name):
        if name not in self.members:
            self.members[name] = processes.Member(name, self.member_arguments(), os.path.join(self.workdir, "logs"))
        return self.members[name]

    def prepare_traffic(self):
        form = self.form
        shape = traffic.RuleShape(os.path.join(REPOSITORY, "config", "rules", "network-connection-via-signed-binary.json"))
        events = traffic.generate(self.binary, count=form.duration * form.rate, seed=self.seed, rate=form.rate,
                                  plant_every=150, path=os.path.join(self.workdir, "generated.txt"))
        long_keys = traffic.plant_long_sequences(events, shape, self.rng, form.long_sequences,
                                                 form.long_sequences // 3, form.duration)
        expected = traffic.expected_sequences(events, shape)
        if len(expected) != len(set(expected)):
            raise RuntimeError("a key completes two planted sequences; the expected set would be ambiguous")
        missing = set(long_keys) - set(expected)
        if missing:
            raise RuntimeError(f"{len(missing)} long planted sequences do not match the rule")
        self.events = events
        self.expected = set(expected)
        self.figures["events"] = len(events)
        self.figures["planted sequences"] = len(expected)
        self.figures["of which spanning 15 s to 3 min"] = len(long_keys)

    # MARK: Faults

    def plan(self):
        """Returns the fault schedule: (seconds after the traffic starts, sequence number, action, arguments)."""
        form = self.form
        rng = self.rng
        window = (6.0, form.duration - 5.0)
        actions = []
        for _ in range(form.kills):
            actions.append((rng.uniform(*window), "kill", (rng.randrange(1000), rng.uniform(0.2, 4.0))))
        slot = (window[1] - window[0]) / max(form.joins, 1)
        for index in range(form.joins):
            begin = window[0] + index * slot
            actions.append((begin + rng.uniform(0, slot * 0.3), "join", (rng.uniform(0.3, 0.6) * slot,)))
        slot = (window[1] - window[0]) / max(form.outages, 1)
        for index in range(form.outages):
            begin = window[0] + index * slot
            # Outages stay under the 30 s idle timeout, so a partition cut off by one is not expired as idle.
            length = min(rng.uniform(3.0, 12.0), slot * 0.6)
            actions.append((begin + rng.uniform(0, slot * 0.3), "down", (rng.randint(1, 3), length)))
        for _ in range(form.error_injections):
            actions.append((rng.uniform(*window), "errors", rng.choice(REQUEST_ERRORS)))
        return sorted((at, index, action, arguments) for index, (at, action, arguments) in enumerate(actions))

    def perform(self, action, arguments, schedule, now):
        if action == "kill":
            choice, restart_delay = arguments
            running = sorted(name for name, member in self.members.items()
                             if member.is_running and name not in self.leaving)
            if not running:
                return
            name = running[choice % len(running)]
            self.members[name].kill()
            self.counts["SIGKILLs"] += 1
            log(f"SIGKILL {name}; restart in {restart_delay:.1f} s")
            heapq.heappush(schedule, (now + restart_delay, next(self.sequence), "restart", (name,)))
        elif action == "restart":
            (name,) = arguments
            if name in self.kept_running and not self.members[name].is_running:
                self.members[name].start()
                self.counts["restarts"] += 1
        elif action == "join":
            (stay,) = arguments
            if "c" in self.kept_running or "c" in self.leaving:
                return
            self.kept_running.add("c")
            self.member("c").start()
            self.counts["members joined"] += 1
            log(f"member c joins for {stay:.0f} s")
            heapq.heappush(schedule, (now + stay, next(self.sequence), "leave", ("c",)))
        elif action == "leave":
            (name,) = arguments
            self.kept_running.discard(name)
            member = self.members[name]
            if not member.is_running:
                return
            self.leaving.add(name)
            self.counts["members left (SIGTERM)"] += 1
            log(f"member {name} leaves with SIGTERM")

            def stop():
                status, _ = member.terminate(timeout=45)
                if status != 0:
                    self.counts["SIGTERM exits not 0"] += 1
                    log(f"member {name} exited with {status} after SIGTERM")
                self.leaving.discard(name)
            thread = threading.Thread(target=stop, daemon=True)
            thread.start()
            self.threads.append(thread)
        elif action == "down":
            broker, length = arguments
            if self.down is not None:
                return
            reply = self.broker.command(f"broker-down {broker}")
            if reply != "ok":
                raise RuntimeError(f"broker-down {broker}: {reply}")
            self.down = broker
            self.counts["broker outages"] += 1
            log(f"broker {broker} down for {length:.1f} s")
            heapq.heappush(schedule, (now + length, next(self.sequence), "up", (broker,)))
        elif action == "up":
            (broker,) = arguments
            reply = self.broker.command(f"broker-up {broker}")
            if reply != "ok":
                raise RuntimeError(f"broker-up {broker}: {reply}")
            self.down = None
            log(f"broker {broker} up")
        elif action == "errors":
            api, code, count, label = arguments
            reply = self.broker.command(f"request-errors {api} {code} {count}")
            if reply != "ok":
                raise RuntimeError(f"request-errors {api} {code} {count}: {reply}")
            self.counts["request-error injections"] += 1
            log(f"inject {count} x {label}")

    # MARK: Reading topics

    def read_topic(self, topic, fmt, timeout=180):
        result = subprocess.run(
            ["kcat", "-C", "-b", self.broker.bootstrap, "-t", topic, "-e", "-q", "-f", fmt],
            capture_output=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"kcat could not read {topic}: {result.stderr.decode(errors='replace')[-500:]}")
        return result.stdout.decode(errors="replace").splitlines()

    def read_alerts(self):
        alerts = []
        for line in self.read_topic("alerts", "%k|%s\n"):
            if not line:
                continue
            key, _, value = line.partition("|")
            try:
                alert_id = json.loads(value)["kibana.alert.uuid"]
            except (ValueError, KeyError):
                alert_id = None
            alerts.append((key, alert_id))
        return alerts

    def wait_for_alerts(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            found = {key for key, _ in self.read_alerts()} & self.expected
            if len(found) == len(self.expected) or time.monotonic() >= deadline:
                return len(found)
            time.sleep(5)

    # MARK: The run

    def run(self):
        form = self.form
        os.makedirs(os.path.join(self.workdir, "logs"), exist_ok=True)
        log(f"{form.name} form, seed {self.seed}, work directory {self.workdir}")
        self.prepare_traffic()
        log(f"{len(self.events)} events with {len(self.expected)} planted sequences over {form.duration} s")
        self.broker = processes.DevBroker(self.binary, 3, {"events": form.partitions, "alerts": 4},
                                          os.path.join(self.workdir, "logs", "dev-broker.log"))
        log(f"dev-broker at {self.broker.bootstrap}")
        self.down = None
        self.sequence = iter(range(1_000_000, 10_000_000))
        watcher = OffsetWatcher(self.broker.bootstrap, self.group, "events", form.partitions)
        producer = processes.InputProducer(self.broker.bootstrap, "events",
                                           os.path.join(self.workdir, "logs", "kcat-input.log"))
        stop_feeding = threading.Event()
        try:
            self.member("a").start()
            self.member("b").start()
            watcher.start()
            started = time.monotonic()
            feeder = threading.Thread(target=producer.feed, args=(self.events, started, 1.0, stop_feeding),
                                      daemon=True)
            feeder.start()
            schedule = [(started + at, index, action, arguments) for at, index, action, arguments in self.plan()]
            heapq.heapify(schedule)
            while schedule:
                at, _, action, arguments = heapq.heappop(schedule)
                delay = at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.perform(action, arguments, schedule, time.monotonic())
            feeder.join()
            log(f"traffic done: {producer.sent} events fed to kcat")
            self.drain(producer)
        finally:
            stop_feeding.set()
            watcher.stop_event.set()
            for member in self.members.values():
                if member.is_running:
                    member.kill()
        watcher.join(timeout=10)
        if self.tamper:
            self.add_wrong_results()
        return self.check(watcher)

    def add_wrong_results(self):
        """Adds one repeated alert, one alert for an unplanted key and one planted sequence that was never produced,
        so a run shows that each of those checks fails."""
        key, _, value = self.read_topic("alerts", "%k|%s\n")[0].partition("|")
        unplanted = json.loads(value)
        unplanted["kibana.alert.uuid"] = "00000000-0000-4000-8000-000000000000"
        records = f"{key}|{value}\n" + "{unplanted}|" + json.dumps(unplanted) + "\n"
        subprocess.run(["kcat", "-P", "-b", self.broker.bootstrap, "-t", "alerts", "-K", "|"],
                       input=records.encode(), check=True, timeout=60)
        self.expected.add("{never-produced}")
        log("tampered: added a repeated alert, an unplanted alert and a planted sequence that was never produced")

    def drain(self, producer):
        """Ends the faults, lets the group finish the input, stops it, and runs a fresh member from the final
        checkpoints, which must find nothing to alert on again."""
        if self.down is not None:
            self.broker.command(f"broker-up {self.down}")
        for thread in self.threads:
            thread.join()
        for name in ("a", "b"):
            if not self.members[name].is_running:
                self.members[name].start()
        input_status = producer.finish(timeout=600)
        if producer.error or input_status != 0:
            raise RuntimeError(f"the kcat input producer failed: status {input_status}, {producer.error}; "
                               f"see {self.workdir}/logs/kcat-input.log")

        found = self.wait_for_alerts(self.form.drain_timeout)
        log(f"{found} of {len(self.expected)} planted sequences alerted; settling")
        time.sleep(10)
        for name, member in sorted(self.members.items()):
            if member.is_running:
                status, seconds = member.terminate(timeout=45)
                log(f"member {name} stopped with SIGTERM: status {status} after {seconds:.1f} s")
                if status != 0:
                    self.counts["SIGTERM exits not 0"] += 1

        fresh = self.member("z")
        fresh.start()
        self.wait_for_log(fresh, "partitions assigned", 40)
        time.sleep(12)
        status, _ = fresh.terminate(timeout=45)
        if status != 0:
            self.counts["SIGTERM exits not 0"] += 1

    def wait_for_log(self, member, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(member.log_paths[-1], errors="replace") as handle:
                if text in handle.read():
                    return True
            time.sleep(0.5)
        log(f"member {member.name} did not log '{text}' within {timeout} s")
        return False

    def count_log_lines(self, names, text):
        count = 0
        for name in names:
            for path in self.members[name].log_paths if name in self.members else []:
                with open(path, errors="replace") as handle:
                    count += sum(1 for line in handle if text in line)
        return count

    def count_rebalances(self):
        """Counts rebalances seen in the members' logs: assignments less than 2 s apart are one rebalance."""
        times = []
        for member in self.members.values():
            for path in member.log_paths:
                with open(path, errors="replace") as handle:
                    for line in handle:
                        if 'msg="partitions assigned"' in line:
                            match = re.search(r"ts=\S*T(\d\d):(\d\d):(\d\d\.\d+)", line)
                            if match:
                                hours, minutes, seconds = match.groups()
                                times.append(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
        times.sort()
        rebalances = 0
        previous = None
        for moment in times:
            if previous is None or moment - previous > 2.0:
                rebalances += 1
            previous = moment
        return rebalances, len(times)

    def check(self, watcher):
        alerts = self.read_alerts()
        input_keys = collections.Counter(self.read_topic("events", "%k\n"))
        sent_keys = collections.Counter(event.key for event in self.events)
        input_lost = sum((sent_keys - input_keys).values())
        input_repeated = sum((input_keys - sent_keys).values())

        by_id = collections.Counter(alert_id for _, alert_id in alerts)
        ids_by_key = collections.defaultdict(set)
        for key, alert_id in alerts:
            ids_by_key[key].add(alert_id)
        found = {key for key in ids_by_key if key in self.expected}
        lost = sorted(self.expected - found)
        duplicate_copies = sum(count - 1 for count in by_id.values() if count > 1)
        repeated_sequences = sorted(key for key in found if len(ids_by_key[key]) > 1)
        spurious = sorted(key for key in ids_by_key if key not in self.expected)
        unreadable = by_id.get(None, 0)
        rebalances, assignments = self.count_rebalances()

        figures = self.figures
        figures["events in the input topic"] = sum(input_keys.values())
        figures["input events lost / repeated by the producer"] = f"{input_lost} / {input_repeated}"
        figures["instances killed (SIGKILL)"] = self.counts["SIGKILLs"]
        figures["members joined / left (SIGTERM)"] = \
            f"{self.counts['members joined']} / {self.counts['members left (SIGTERM)']}"
        figures["rebalances (assignment rounds in the logs)"] = f"{rebalances} ({assignments} assignments)"
        figures["broker outages"] = self.counts["broker outages"]
        figures["request-error injections"] = self.counts["request-error injections"]
        figures["SIGTERM exits not 0"] = self.counts["SIGTERM exits not 0"]
        figures["alerts expected"] = len(self.expected)
        figures["alerts produced by the fresh member at the end"] = self.count_log_lines(["z"], 'msg="alert produced"')
        figures["alerts found (records / distinct ids)"] = f"{len(alerts)} / {len(by_id)}"
        figures["planted sequences with an alert"] = len(found)
        figures["lost"] = len(lost)
        figures["duplicates (extra copies of an alert id)"] = duplicate_copies
        figures["sequences with more than one alert id"] = len(repeated_sequences)
        figures["spurious (alerts for unplanted sequences)"] = len(spurious)
        figures["unreadable alerts"] = unreadable
        figures["committed-offset samples / changes"] = f"{watcher.samples} / {watcher.changes}"
        figures["committed offsets gone backwards"] = len(watcher.regressions)
        figures["checkpoint e= values gone backwards (information)"] = len(watcher.checkpoint_regressions)

        print("\nfigures:")
        width = max(len(name) for name in figures)
        for name, value in figures.items():
            print(f"  {name:<{width}}  {value}")
        for key in lost[:20]:
            print(f"lost: {key}")
        for alert_id, count in by_id.items():
            if count > 1:
                print(f"duplicate: {alert_id} x{count}")
        for key in repeated_sequences[:20]:
            print(f"more than one alert id for {key}: {sorted(ids_by_key[key])}")
        for key in spurious[:20]:
            print(f"spurious: {key} {sorted(ids_by_key[key])}")
        for regression in watcher.regressions[:20]:
            print("offset went backwards at %s: partition %d %d -> %d" % regression)

        failures = []
        if lost:
            failures.append(f"{len(lost)} planted sequences have no alert")
        if duplicate_copies:
            failures.append(f"{duplicate_copies} repeated alert records")
        if repeated_sequences:
            failures.append(f"{len(repeated_sequences)} sequences alerted under more than one id")
        if spurious or unreadable:
            failures.append(f"{len(spurious)} alerts for unplanted sequences, {unreadable} unreadable")
        if watcher.regressions:
            failures.append(f"{len(watcher.regressions)} committed offsets went backwards")
        if watcher.samples == 0:
            failures.append("the committed offsets could not be sampled")
        if input_lost or input_repeated:
            print(f"faulttest: INVALID: the input producer lost {input_lost} and repeated {input_repeated} events")
            return 2
        if failures:
            print("faulttest: FAIL: " + "; ".join(failures))
            return 1
        print("faulttest: PASS")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    form = parser.add_mutually_exclusive_group(required=True)
    form.add_argument("--short", action="store_const", const=SHORT, dest="form",
                      help="about 3 minutes, for CI")
    form.add_argument("--long", action="store_const", const=LONG, dest="form",
                      help="soak of about 16 minutes: 55 SIGKILLs, 12 broker outages, 12 joins and leaves")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the traffic and the faults (default 1)")
    parser.add_argument("--binary", help="eqlstream executable (default: .build/release, then .build/debug)")
    parser.add_argument("--workdir", help="directory for logs and generated input (default: a new temporary one, "
                                          "removed after a passing run)")
    parser.add_argument("--tamper", action="store_true",
                        help="before the checks, add a repeated alert, an unplanted alert and an expected sequence "
                             "that was never produced, to show that the checks fail (exit status 1 expected)")
    arguments = parser.parse_args()
    if shutil.which("kcat") is None:
        raise SystemExit("faulttest: kcat is not installed; run scripts/setup")
    binary = find_binary(arguments.binary)
    workdir = arguments.workdir or tempfile.mkdtemp(prefix=f"faulttest-{arguments.form.name}-")
    run = FaultRun(arguments.form, arguments.seed, binary, workdir, tamper=arguments.tamper)
    started = time.monotonic()
    try:
        status = run.run()
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        print(f"faulttest: INVALID: {error}")
        status = 2
    finally:
        if run.broker is not None:
            run.broker.stop()
    if status == 0 and arguments.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"faulttest: {time.monotonic() - started:.0f} s")
    else:
        print(f"faulttest: {time.monotonic() - started:.0f} s; logs in {workdir}")
    return status


if __name__ == "__main__":
    sys.exit(main())

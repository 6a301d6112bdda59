#!/usr/bin/env python3
"""eqlstream benchmarks: each measurement side by side with its baseline, in one run, on the same data.

Usage: scripts/bench/bench.py [--events N] [--reference-events N] [--kafka-events N] [--latency-rate R]
                              [--latency-seconds S] [--skip SECTION ...] [--keep]
Sections: memory, replay, kafka, latency. Prints one JSON object per measurement as soon as it is measured, and
progress on standard error. Needs a release build (swift build -c release), kcat, g++ with libsimdjson-dev, an
x86-64 CPU with SSE4.2 for the latency feeder, .venv-ref (scripts/setup), and the sample data folder (see
sample_data_folder).
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(ROOT, ".build", "release", "eqlstream")
RULE_QUERY = json.load(open(os.path.join(ROOT, "config", "rules", "network-connection-via-signed-binary.json")))["query"]
START = "2024-01-01T00:00:00Z"
LATENCY_SETTINGS = os.environ.get("BENCH_LATENCY_SETTINGS", "").split()
# The feeder sends one Produce request per linger interval (see paced_produce.c).
INPUT_LINGER_MS = 5
LATENCY_PARTITIONS = 64


def sample_data_folder():
    """Returns the folder with the reference engine (tools/eql_reference.py): SAMPLE_DATA_DIR when set, else the
    folder named shared beside the checkout, else the one beside the repository this checkout was cloned from."""
    candidates = [os.environ.get("SAMPLE_DATA_DIR"), os.path.join(ROOT, "..", "shared")]
    origin = subprocess.run(["git", "-C", ROOT, "remote", "get-url", "origin"], capture_output=True, text=True)
    if origin.returncode == 0 and origin.stdout.strip():
        candidates.append(os.path.join(origin.stdout.strip(), "..", "shared"))
    for candidate in candidates:
        if candidate and os.path.isfile(os.path.join(candidate, "tools", "eql_reference.py")):
            return os.path.abspath(candidate)
    raise SystemExit("no sample data folder with tools/eql_reference.py: set SAMPLE_DATA_DIR to its path, "
                     "or use --skip replay")


class Results(list):
    """Measurements, each printed as one JSON line when it is added, so a later failure loses none."""

    def append(self, result):
        super().append(result)
        print(json.dumps(result), flush=True)


def log(message):
    print(message, file=sys.stderr, flush=True)


def timed(command, **kwargs):
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit("%s failed: %s" % (command[0], result.stderr[-2000:]))
    return elapsed, result


def generate(path, count, seed=1, keyed=False, extra=()):
    command = [BINARY, "generate", "--count", str(count), "--seed", str(seed), "--start", START, "--output", path]
    if keyed:
        command += ["--key-separator", "|"]
    subprocess.run(command + list(extra), check=True, capture_output=True)


def head(source, target, lines):
    with open(source) as reader, open(target, "w") as writer:
        for index, line in enumerate(reader):
            if index >= lines:
                break
            writer.write(line)


def replay_section(work, events, reference_events, results):
    data = os.path.join(work, "events.ndjson")
    generate(data, events)
    size = os.path.getsize(data)
    log("replay: %d events, %.1f MB" % (events, size / 1e6))
    best = min(timed([BINARY, "replay", "--quiet", data])[0] for _ in range(3))
    replay_rate = events / best
    results.append({"measure": "replay", "events": events, "seconds": round(best, 3),
                    "events_per_second": round(replay_rate), "mb_per_second": round(size / best / 1e6, 1)})

    # The reference engine reads the same file, unless --reference-events requests its first lines only.
    small = data
    if reference_events < events:
        small = os.path.join(work, "reference.ndjson")
        head(data, small, reference_events)
    small_size = os.path.getsize(small)
    python = os.path.join(ROOT, ".venv-ref", "bin", "python")
    reference = os.path.join(sample_data_folder(), "tools", "eql_reference.py")
    log("reference engine: %d events" % reference_events)
    elapsed, _ = timed([python, reference, "--query", RULE_QUERY, small])
    replay_small = best if small == data else min(timed([BINARY, "replay", "--quiet", small])[0] for _ in range(3))
    results.append({"measure": "replay vs reference engine", "events": reference_events,
                    "reference_seconds": round(elapsed, 2),
                    "reference_events_per_second": round(reference_events / elapsed),
                    "replay_events_per_second": round(reference_events / replay_small),
                    "ratio": round(elapsed / replay_small, 1),
                    "reference_mb_per_second": round(small_size / elapsed / 1e6, 2)})

    parser = os.path.join(work, "simdjson_parse")
    subprocess.run(["g++", "-O3", "-std=c++17", os.path.join(ROOT, "scripts", "bench", "simdjson_parse.cpp"),
                    "-o", parser, "-lsimdjson"], check=True)
    raw = min((json.loads(timed([parser, data])[1].stdout) for _ in range(3)), key=lambda r: r["seconds"])
    results.append({"measure": "replay vs simdjson DOM parse", "events": events,
                    "simdjson_events_per_second": round(raw["documents"] / raw["seconds"]),
                    "simdjson_mb_per_second": round(raw["bytes"] / raw["seconds"] / 1e6),
                    "replay_events_per_second": round(replay_rate),
                    "ratio_percent": round(100 * replay_rate / (raw["documents"] / raw["seconds"]), 1)})


class Broker:
    def __init__(self, topics):
        arguments = [BINARY, "dev-broker", "--brokers", "1"]
        for name, partitions in topics.items():
            arguments += ["--topic", "%s:%d" % (name, partitions)]
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        stdin=subprocess.PIPE, text=True)
        self.bootstrap = self.process.stdout.readline().strip()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def produce(bootstrap, topic, path):
    with open(path) as source:
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "|", "-X", "linger.ms=20"],
                       stdin=source, check=True)


def run_service(bootstrap, topic, group, extra=()):
    command = [BINARY, "run", "--set", "kafka.bootstrap.servers=" + bootstrap, "--set", "input.topics=" + topic,
               "--set", "output.topic=alerts", "--set", "kafka.group.id=" + group,
               "--set", "kafka.consumer.session.timeout.ms=6000", "--set", "log.format=json"] + list(extra)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def cpu_seconds(pid):
    """Returns the user plus system CPU time of a running process, from /proc."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_time(line):
    return time.mktime(time.strptime(line["ts"][:19], "%Y-%m-%dT%H:%M:%S")) + float("0." + line["ts"][20:23])


def kafka_section(work, events, results):
    # The mock cluster keeps about 5 MiB per partition; 64 partitions hold 120,000 events of about 2 KB.
    keyed = os.path.join(work, "keyed.ndjson")
    generate(keyed, events, keyed=True)
    broker = Broker({"bench": 64, "alerts": 4})
    try:
        produce(broker.bootstrap, "bench", keyed)
        kcat_best = min(_kcat_time(broker.bootstrap) for _ in range(3))
        run_times = []
        for attempt in range(3):
            service = run_service(broker.bootstrap, "bench", "bench-%d" % attempt, ["--set", "input.stop.at.end=true"])
            lines = [json.loads(line) for line in service.stderr]
            service.wait(timeout=120)
            assigned = next(log_time(l) for l in lines if l["msg"] == "partitions assigned")
            ended = next(log_time(l) for l in lines if l["msg"].startswith("every assigned partition"))
            run_times.append(ended - assigned)
        run_best = min(run_times)
        results.append({"measure": "run vs kcat consumer", "events": events,
                        "kcat_events_per_second": round(events / kcat_best),
                        "run_events_per_second": round(events / run_best),
                        "ratio_percent": round(100 * kcat_best / run_best, 1),
                        "note": "run is timed from its assignment to reading every partition's end (log times, "
                                "millisecond resolution); kcat from start to exit"})
        return events / run_best
    finally:
        broker.stop()


def _kcat_time(bootstrap):
    began = time.perf_counter()
    # The same fetch wait as eqlstream's consumer, so neither waits longer on an empty fetch.
    subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", "bench", "-e", "-o", "beginning", "-q",
                    "-X", "fetch.wait.max.ms=10"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def latency_section(work, rate, seconds, results):
    keyed = os.path.join(work, "latency.ndjson")
    # The mock cluster keeps about 5 MiB per partition, and the input's timestamps are read back at the end, so the
    # run stays under that: at most 100,000 events of about 2 KB over 64 partitions.
    count = min(int(rate * seconds), 100_000)
    generate(keyed, count, seed=7, keyed=True, extra=["--plant-every", "50"])
    feeder = os.path.join(work, "paced_produce")
    subprocess.run(["gcc", "-O2", "-msse4.2", os.path.join(ROOT, "scripts", "bench", "paced_produce.c"), "-o", feeder,
                    "-lpthread"], check=True)
    broker = Broker({"live": LATENCY_PARTITIONS, "alerts": 4})
    try:
        service = run_service(broker.bootstrap, "live", "latency", ["--set", "log.level=warning"] + list(LATENCY_SETTINGS))
        time.sleep(6)  # the mock cluster's first group join takes about 3 s
        before = {"eqlstream": cpu_seconds(service.pid), "broker": cpu_seconds(broker.process.pid)}
        feeder_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        fed = subprocess.run([feeder, broker.bootstrap, "live", str(LATENCY_PARTITIONS), keyed, str(rate),
                              str(INPUT_LINGER_MS)], capture_output=True, text=True)
        if fed.returncode != 0:
            raise SystemExit("paced_produce failed: " + fed.stderr[-2000:])
        feeder_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        fed_seconds = json.loads(fed.stdout)["seconds"]
        time.sleep(3)
        # CPU time from the feed's start to 3 s after it, when the pipeline has long caught up.
        cpu = {"eqlstream": cpu_seconds(service.pid) - before["eqlstream"],
               "broker": cpu_seconds(broker.process.pid) - before["broker"],
               "feeder": feeder_after.ru_utime + feeder_after.ru_stime - feeder_before.ru_utime - feeder_before.ru_stime}
        service.terminate()
        service.wait(timeout=60)
        inputs = {}
        out = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", "live", "-e", "-o", "beginning", "-q",
                              "-f", "%p %o %T\\n"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            partition, offset, stamp = line.split()
            inputs[(int(partition), int(offset))] = int(stamp)
        alerts = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", "alerts", "-e", "-o", "beginning", "-q",
                                 "-f", "%T %s\\n"], capture_output=True, text=True, check=True).stdout
        latencies = []
        for line in alerts.splitlines():
            stamp, _, document = line.partition(" ")
            alert = json.loads(document)
            last = max(alert["kibana.alert.ancestors"], key=lambda a: inputs.get((a["partition"], a["offset"]), 0))
            latencies.append(int(stamp) - inputs[(last["partition"], last["offset"])])
        latencies.sort()
        if latencies:
            p50 = latencies[len(latencies) // 2]
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        else:
            p50 = p99 = None
        results.append({"measure": "produce-to-alert latency", "rate": round(rate), "events": count,
                        "fed_events_per_second": round(count / fed_seconds), "alerts": len(latencies),
                        "p50_ms": p50, "p99_ms": p99, "feed_seconds": round(fed_seconds, 3),
                        "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
                        "note": "Kafka CreateTime of the alert minus that of the sequence's last input event; "
                                "alert producer linger.ms=5, input producer linger.ms=%d, consumer fetch.wait.max.ms=10"
                                % INPUT_LINGER_MS})
    finally:
        broker.stop()


def memory_section(work, results):
    script = os.path.join(ROOT, "scripts", "bench", "distinct_entities.py")
    for entities, starts in ((1_000_000, 0), (100_000, 100_000)):
        path = os.path.join(work, "entities-%d.ndjson" % entities)
        subprocess.run([sys.executable, script, "--entities", str(entities), "--pending", str(starts),
                        "--output", path], check=True)
        began = time.perf_counter()
        child = subprocess.Popen([BINARY, "replay", "--max-held-events", "200000", path],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        summary = child.stderr.read().strip().splitlines()[-1]
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - began
        # ru_maxrss of this one child, in KiB on Linux.
        results.append({"measure": "peak memory", "distinct_entities": entities, "pending_sequences": starts,
                        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "seconds": round(elapsed, 2),
                        "replay_summary": summary})


def main():
    parser = argparse.ArgumentParser(description="eqlstream benchmarks, each beside its baseline.")
    parser.add_argument("--events", type=int, default=200_000, help="events in the replay file (default 200,000)")
    parser.add_argument("--reference-events", type=int, default=None,
                        help="run the reference engine on the first N events only (default: all)")
    parser.add_argument("--kafka-events", type=int, default=120_000,
                        help="events in the topic that run and kcat consume (default 120,000)")
    parser.add_argument("--latency-seconds", type=int, default=20,
                        help="length of the latency feed, capped at 100,000 events (default 20)")
    parser.add_argument("--latency-rate", type=float, default=None,
                        help="events per second for the latency run (default: half the measured run rate, or "
                             "10,000 when the kafka section is skipped)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["memory", "replay", "kafka", "latency"],
                        help="sections to leave out")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder of generated files")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="eqlstream-bench-")
    results = Results()
    try:
        # Memory first: a child forked from this process after it has read large files would report this
        # process's size as its own peak.
        if "memory" not in args.skip:
            log("memory: 1,000,000 distinct entity ids, then 100,000 pending sequences")
            memory_section(work, results)
        if "replay" not in args.skip:
            replay_section(work, args.events, min(args.reference_events or args.events, args.events), results)
        max_rate = None
        if "kafka" not in args.skip:
            log("kafka: %d events over 64 partitions, kcat and run three times each" % args.kafka_events)
            max_rate = kafka_section(work, args.kafka_events, results)
        if "latency" not in args.skip:
            rate = args.latency_rate or (max_rate or 20_000) / 2
            log("latency: %d events/s for up to 100,000 events" % rate)
            try:
                latency_section(work, rate, args.latency_seconds, results)
            except Exception as error:  # report the other figures even if this one fails
                results.append({"measure": "produce-to-alert latency", "error": repr(error)})
    finally:
        if args.keep:
            log("generated files kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

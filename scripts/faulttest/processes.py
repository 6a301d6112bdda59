"""The processes a fault test starts: `eqlstream dev-broker`, `eqlstream run` members and the kcat input producer.

Every process is started by this module and ended by its own process id; nothing else on the machine is touched.
"""

import os
import queue
import signal
import subprocess
import threading
import time


class DevBroker:
    """`eqlstream dev-broker` with its control commands on standard input."""

    def __init__(self, binary, brokers, topics, log_path):
        arguments = [binary, "dev-broker", "--brokers", str(brokers)]
        for name, partitions in topics.items():
            arguments += ["--topic", f"{name}:{partitions}"]
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        text=True, bufsize=1)
        self.lines = queue.Queue()
        self.lock = threading.Lock()
        threading.Thread(target=self._read_output, daemon=True).start()
        self.bootstrap = self._next_line(20.0)
        if not self.bootstrap.startswith("127.0.0.1:"):
            raise RuntimeError(f"dev-broker printed {self.bootstrap!r} instead of a 127.0.0.1 bootstrap address")

    def _read_output(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def _next_line(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"dev-broker printed nothing within {timeout} s") from None

    def command(self, text):
        """Sends one control command and returns the broker's reply ('ok' or 'error: ...')."""
        with self.lock:
            self.process.stdin.write(text + "\n")
            self.process.stdin.flush()
            return self._next_line(10.0)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Member:
    """One `eqlstream run` process of the consumer group; each start writes a new log file."""

    def __init__(self, name, arguments, log_dir):
        self.name = name
        self.arguments = arguments
        self.log_dir = log_dir
        self.process = None
        self.starts = 0
        self.log_paths = []

    @property
    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        self.starts += 1
        path = os.path.join(self.log_dir, f"{self.name}-{self.starts:03d}.log")
        self.log_paths.append(path)
        with open(path, "w") as log:
            self.process = subprocess.Popen(self.arguments, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=log)

    def kill(self):
        """Sends SIGKILL and reaps the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout):
        """Sends SIGTERM; returns (exit status, seconds taken), or (None, timeout) after killing a process that hung."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None, timeout
        return status, time.monotonic() - started


class InputProducer:
    """Feeds events to one long-lived idempotent kcat producer, each when its event time comes due."""

    def __init__(self, bootstrap, topic, log_path):
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            ["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "|", "-X", "enable.idempotence=true",
             "-X", "message.timeout.ms=900000", "-X", "linger.ms=20"],
            stdin=subprocess.PIPE, stdout=self.log, stderr=self.log)
        self.sent = 0
        self.error = None

    def feed(self, events, started, pace, stop):
        """Writes `events` to kcat, event i at `started + events[i].time / pace` on the monotonic clock."""
        try:
            origin = events[0].time if events else 0.0
            for event in events:
                due = started + (event.time - origin) / pace
                while not stop.is_set():
                    delay = due - time.monotonic()
                    if delay <= 0:
                        break
                    time.sleep(min(delay, 0.2))
                if stop.is_set():
                    return
                self.process.stdin.write(f"{event.key}|{event.json}\n".encode())
                self.sent += 1
                if self.sent % 20 == 0:
                    self.process.stdin.flush()
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            self.error = f"kcat stopped taking input: {error}"

    def finish(self, timeout):
        """Closes kcat's input so it delivers what it holds; returns its exit status, or None after a timeout."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        finally:
            self.log.close()

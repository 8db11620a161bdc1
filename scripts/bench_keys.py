"""Key press to screen, timed from outside kprod through tmux.

Used by scripts/bench.sh while kprod's TUI produces flat out in tmux: until
the screen says "burst done", press F1 and time until the help popup is on
tmux's screen, press F1 again and time until it is gone. One tmux control
client sends the keys and watches the pane, so no process is started per press.
tmux is asked what the pane shows each time kprod writes to it.
Writes "p50 p99 max count" in ms to OUT.
Usage: python3 bench_keys.py TMUX_SOCKET OUT
"""
import os
import selectors
import subprocess
import sys
import time

MARKER = b"Keys ("  # the help popup's title
LIMIT_S = 10  # one press that takes this long fails the run
RUN_LIMIT_S = 1200
GAP_S = 0.02  # between a change on screen and the next press

sock, out = sys.argv[1], sys.argv[2]
ctl = subprocess.Popen(
    ["tmux", "-L", sock, "-C", "attach", "-t", "0"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
)
sel = selectors.DefaultSelector()
sel.register(ctl.stdout, selectors.EVENT_READ)
pending = b""


def fail(why):
    print(f"bench_keys: {why}", file=sys.stderr)
    sys.exit(1)


def lines(deadline):
    """The control client's lines until the deadline."""
    global pending
    while True:
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            fail("tmux stopped answering")
        chunk = os.read(ctl.stdout.fileno(), 1 << 16)
        if not chunk:
            fail("the tmux control client ended")
        pending += chunk


unanswered = 0  # every command is answered by a %begin...%end block
outputs = 0  # %output notifications seen: the pane wrote something


def send(command):
    global unanswered
    ctl.stdin.write(command.encode() + b"\n")
    unanswered += 1


def screen():
    """What tmux shows in the pane now: the last block answers capture-pane,
    those before it the commands sent before it."""
    global outputs, unanswered
    send("capture-pane -p -t 0")
    text, inside = [], False
    for line in lines(time.monotonic() + LIMIT_S):
        if inside and line.startswith((b"%end", b"%error")):
            inside = False
            unanswered -= 1
            if unanswered == 0:
                return b"\n".join(text)
        elif inside:
            text.append(line)
        elif line.startswith(b"%begin"):
            inside, text = True, []
        elif line.startswith(b"%output "):
            outputs += 1


def until(shows, t0):
    """Ms from t0 until the pane's text satisfies shows; the pane is read
    again each time kprod writes to it."""
    global outputs
    while True:
        before = outputs
        if shows(screen()):
            return (time.monotonic() - t0) * 1000
        if outputs == before:
            for line in lines(t0 + LIMIT_S):
                if line.startswith(b"%output "):
                    outputs += 1
                    break


times, start = [], time.monotonic()
while b"burst done" not in screen():
    if time.monotonic() - start > RUN_LIMIT_S:
        fail("the burst did not end")
    for open_ in (True, False):
        t0 = time.monotonic()
        send("send-keys -t 0 F1")
        times.append(until(lambda text: (MARKER in text) == open_, t0))
        time.sleep(GAP_S)
send("detach-client")
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
with open(out, "w") as f:
    f.write(f"{pick(0.5):.1f} {pick(0.99):.1f} {times[-1]:.1f} {len(times)}\n")

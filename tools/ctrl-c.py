#!/usr/bin/env python3
"""Types Ctrl-C into the console as a user would: runs `disttrain ARGS` in a pseudo-terminal, sends
Ctrl-C after DELAY seconds (twice with COUNT 2), and reports how long it took to exit, its exit code
and whether the cursor was left hidden. Usage: tools/ctrl-c.py DELAY COUNT ARGS... (build first)."""
import os, pty, signal, subprocess, sys, time, select, fcntl, termios
delay = float(sys.argv[1]); twice = sys.argv[2] == "2"; args = sys.argv[3:]
master, slave = pty.openpty()
def child():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
p = subprocess.Popen(["dotnet", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "Client", "bin", "Release", "net10.0", "disttrain.dll"), *args],
                     stdin=slave, stdout=slave, stderr=slave, preexec_fn=child, close_fds=True)
os.close(slave)
out = b""
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try: out += os.read(master, 65536)
            except OSError: return
        if p.poll() is not None: return
pump(delay)
t0 = time.time(); os.write(master, b"\x03")
if twice: pump(0.3); os.write(master, b"\x03")
# Bounded in time, not in rounds: once the console closes the terminal, pump() returns at once.
while p.poll() is None and time.time() - t0 < 30:
    pump(0.05)
    time.sleep(0.01)
took = time.time() - t0
if p.poll() is None: p.kill(); print("STILL RUNNING after 30 s")
pump(0.3)
text = out.decode(errors="replace")
print(f"exit code {p.wait()} after {took:.2f} s; cursor hidden at end: {text.rfind(chr(27)+'[?25l') > text.rfind(chr(27)+'[?25h')}")
print("\n".join(l[:160] for l in text.replace("\r","\n").split("\n") if l.strip())[-400:])

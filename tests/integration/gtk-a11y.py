#!/usr/bin/python3
"""gtk-a11y.py: reads what a GTK program shows through the accessibility
tree (AT-SPI), as a screen reader would, for tests/integration/gtk.test.

  gtk-a11y.py dump APP                 every node: role, name and text
  gtk-a11y.py wait APP SECONDS TEXT... until every TEXT is shown somewhere
  gtk-a11y.py under APP LABEL          the texts inside the node named LABEL
  gtk-a11y.py described APP SECONDS NAME TEXT
                                       until the node named NAME (a field) has
                                       TEXT in its accessible description

Exit 0 on success; 1 with the tree on stderr when a wait times out; 2 on
bad usage.  Every wait is bounded.
"""
import sys
import time
import warnings

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)

DEPTH_MAX = 64
# Invisible: the isolates around peer text, and the label a widget gets
# from GTK when it has none.
INVISIBLE = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))
NODES_MAX = 20000


def node_text(acc):
    """The name of a node and, for text nodes, what they hold."""
    parts = []
    try:
        name = acc.get_name()
        if name:
            parts.append(name)
    except Exception:
        pass
    try:
        text = acc.get_text_iface()
        if text is not None:
            t = Atspi.Text.get_text(text, 0, Atspi.Text.get_character_count(text))
            if t and t not in parts:
                parts.append(t)
    except Exception:
        pass
    return [p.translate(INVISIBLE) for p in parts]


def walk(acc, depth=0, out=None):
    """(depth, role, texts) of acc and everything below it, bounded."""
    if out is None:
        out = []
    if acc is None or depth > DEPTH_MAX or len(out) >= NODES_MAX:
        return out
    try:
        role = acc.get_role_name()
    except Exception:
        return out
    out.append((depth, role, node_text(acc), acc))
    try:
        n = acc.get_child_count()
    except Exception:
        n = 0
    for i in range(n):
        try:
            walk(acc.get_child_at_index(i), depth + 1, out)
        except Exception:
            pass
    return out


def find_app(name):
    """The application, its cached names and descriptions dropped: a wait
    must see them change."""
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        try:
            if app is not None and app.get_name() == name:
                app.clear_cache()
                return app
        except Exception:
            pass
    return None


def dump_lines(app):
    if app is None:
        return ["(no application)"]
    return ["%s%s: %s" % ("  " * d, role, " | ".join(texts))
            for d, role, texts, _ in walk(app)]


def cmd_dump(args):
    print("\n".join(dump_lines(find_app(args[0]))))
    return 0


def cmd_wait(args):
    name, seconds, wanted = args[0], float(args[1]), args[2:]
    deadline = time.monotonic() + seconds
    while True:
        app = find_app(name)
        if app is not None:
            shown = "\n".join(" ".join(t) for _, _, t, _ in walk(app))
            if all(w in shown for w in wanted):
                return 0
        if time.monotonic() >= deadline:
            sys.stderr.write("gtk-a11y: waited %g s for %r; the tree:\n%s\n" % (
                seconds, [w for w in wanted if app is None or w not in shown],
                "\n".join(dump_lines(app))))
            return 1
        time.sleep(0.2)


def cmd_under(args):
    """Texts below every node named LABEL (a list's rows, say)."""
    name, label = args
    nodes = walk(find_app(name))
    found = False
    for i, (d, _, texts, _) in enumerate(nodes):
        if label not in texts:
            continue
        found = True
        for d2, _, t2, _ in nodes[i + 1:]:
            if d2 <= d:
                break
            for t in t2:
                print(t)
    if not found:
        sys.stderr.write("gtk-a11y: no node named %r\n" % label)
    return 0 if found else 1


def descriptions(app, name):
    out = []
    for _, _, texts, acc in walk(app):
        try:
            if acc.get_name() == name:
                out.append(acc.get_description() or "")
        except Exception:
            pass
    return out


def cmd_described(args):
    """An error shown beside a field is tied to it for a screen reader."""
    name, seconds, field, text = args[0], float(args[1]), args[2], args[3]
    deadline = time.monotonic() + seconds
    while True:
        found = descriptions(find_app(name), field)
        if any(text in d for d in found):
            return 0
        if time.monotonic() >= deadline:
            sys.stderr.write("gtk-a11y: waited %g s for %r in the description of %r; "
                             "it is %r\n" % (seconds, text, field, found))
            return 1
        time.sleep(0.2)


COMMANDS = {"dump": (cmd_dump, 1), "wait": (cmd_wait, 3), "under": (cmd_under, 2),
            "described": (cmd_described, 4)}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS or len(argv) - 2 < COMMANDS[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    Atspi.init()
    return COMMANDS[argv[1]][0](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""One app, one subcommand per popular package: `packages rich numpy ...` runs each named
subcommand in turn, printing `== name` before its output (one start of the app checks them
all; a failing subcommand prints its traceback and the next one runs).

Each subcommand really uses its package and prints a short, exact result; the functional test
(tests/functional/test_packages.py) compares it with the expected text. PySide6 and
matplotlib are in heavy.py (a second app: they triple the bundle size). ``tkinter`` is imported
at module level so the lean build keeps it (freezekit leaves tkinter out unless the script
imports it at module level); every other package is imported inside its subcommand.
"""

import os
import sys
import tempfile
import tkinter


def cmd_rich():
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Fruit")
    table.add_column("name")
    table.add_column("count", justify="right")
    table.add_row("apple", "3")
    table.add_row("pear", "12")
    console = Console(width=40, color_system=None, force_terminal=False, legacy_windows=False)
    console.print(table)


def cmd_pygments():
    from pygments import highlight
    from pygments.formatters import get_formatter_by_name
    from pygments.lexers import get_lexer_by_name
    from pygments.styles import get_style_by_name

    lexer = get_lexer_by_name("rust")
    style = get_style_by_name("monokai")
    formatter = get_formatter_by_name("html", style=style, nowrap=True)
    print(lexer.name, style.__name__)
    print(highlight("fn main() {}", lexer, formatter).strip())


def cmd_click(args):
    import click

    @click.command()
    @click.option("--count", type=int, default=1)
    @click.option("--name", required=True)
    @click.option("--shout/--no-shout", default=False)
    def hello(count, name, shout):
        text = f"hello {name}"
        for _ in range(count):
            click.echo(text.upper() if shout else text)

    hello.main(args=args, prog_name="packages click", standalone_mode=False)


def cmd_numpy():
    import numpy as np

    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([9.0, 8.0])
    x = np.linalg.solve(a, b)
    eig = np.linalg.eigvalsh(a)
    print("solve", x.round(6).tolist())
    print("det", round(float(np.linalg.det(a)), 6))
    print("eig", eig.round(4).tolist())
    print("fft", np.fft.fft([1, 0, 0, 0]).real.tolist())


def cmd_pillow():
    from PIL import Image, ImageDraw

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.png")
        image = Image.new("RGB", (32, 16), "white")
        ImageDraw.Draw(image).rectangle((4, 4, 11, 11), fill=(255, 0, 0))
        image.save(path)
        with Image.open(path) as back:
            print(back.format, back.size, back.mode, back.getpixel((8, 8)), back.getpixel((0, 0)))
        jpeg = os.path.join(tmp, "out.jpg")
        image.save(jpeg, quality=90)
        with Image.open(jpeg) as back:
            print(back.format, back.size)


def cmd_cryptography():
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes

    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"frozen secret")
    print(Fernet(key).decrypt(token).decode())
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"abc")
    print(digest.finalize().hex()[:16])


def cmd_yaml():
    import yaml

    data = yaml.load("a: 1\nb: [x, y]\n", Loader=yaml.CSafeLoader)
    print(yaml.__with_libyaml__, yaml.CSafeLoader.__module__, data)
    print(yaml.dump(data, Dumper=yaml.CSafeDumper, default_flow_style=True).strip())


def cmd_certifi():
    import ssl

    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    count = context.cert_store_stats()["x509_ca"]
    print("ca file", os.path.isfile(certifi.where()), "certificates>100", count > 100)
    print("verify", context.verify_mode == ssl.CERT_REQUIRED)


def cmd_metadata():
    import importlib.metadata as md

    print("rich", md.version("rich"))
    scripts = {ep.name: ep.value for ep in md.entry_points(group="console_scripts")}
    print("pygmentize", scripts.get("pygmentize"))
    print(md.metadata("pygments")["Name"])
    try:  # not imported by the app: present only with --copy-metadata pip
        print("pip", md.version("pip"))
    except md.PackageNotFoundError:
        print("pip not bundled")


def cmd_tcl():
    tcl = tkinter.Tcl()
    print(tcl.eval("clock format 0 -gmt 1 -format {%Y-%m-%d %H:%M}"))
    print(tcl.eval("package require msgcat"))
    library = tcl.eval("info library")
    print("bundled", library.startswith(getattr(sys, "_MEIPASS", "-")), os.path.basename(library))


def cmd_tk():
    root = tkinter.Tk()
    label = tkinter.Label(root, text="frozen tk")
    label.pack()
    root.update()
    print(label.cget("text"), root.winfo_exists(), tkinter.TkVersion)
    root.destroy()


COMMANDS = {
    "rich": cmd_rich,
    "pygments": cmd_pygments,
    "numpy": cmd_numpy,
    "pillow": cmd_pillow,
    "cryptography": cmd_cryptography,
    "yaml": cmd_yaml,
    "certifi": cmd_certifi,
    "metadata": cmd_metadata,
    "tcl": cmd_tcl,
    "tk": cmd_tk,
}


def run(commands, argv):
    """Run each command of argv (``click`` takes the rest of the line); 1 if any failed."""
    import traceback

    status = 0
    while argv:
        name, argv = argv[0], argv[1:]
        print(f"== {name}", flush=True)
        try:
            if name == "click":
                cmd_click(argv)
                argv = []
            else:
                commands[name]()
        except Exception:
            traceback.print_exc(file=sys.stdout)
            status = 1
        sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(run(COMMANDS, sys.argv[1:] or list(COMMANDS)))

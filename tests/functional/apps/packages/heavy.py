"""The heavy half of the packages proof: PySide6 (offscreen Qt, image-format plugins) and
matplotlib (Agg). Same command line as packages.py: `heavy qt matplotlib`."""

import os
import sys
import tempfile


def cmd_qt():
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QImageReader, QPainter

    app = QGuiApplication([sys.argv[0]])
    image = QImage(40, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.fillRect(5, 5, 10, 10, Qt.GlobalColor.blue)
    painter.end()
    formats = {bytes(f).decode() for f in QImageReader.supportedImageFormats()}
    print(app.platformName(), "jpeg" in formats, "png" in formats)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("PNG", "JPEG"):
            path = os.path.join(tmp, "out." + fmt.lower())
            saved = image.save(path, fmt)
            back = QImage(path)
            print(fmt, saved, back.width(), back.height(), QColor(back.pixel(9, 9)).blue() > 200)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    print("buffer", image.save(buffer, "PNG"), bytes(data)[:4] == b"\x89PNG")


def cmd_matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1, 2], [0, 1, 4])
    ax.set_title("frozen")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "plot.png")
        fig.savefig(path)
        with open(path, "rb") as fh:
            head = fh.read(8)
    print(
        matplotlib.get_backend().lower(),
        head == b"\x89PNG\r\n\x1a\n",
        fig.canvas.get_width_height(),
    )


COMMANDS = {"qt": cmd_qt, "matplotlib": cmd_matplotlib}


def run(argv):
    import traceback

    status = 0
    for name in argv:
        print(f"== {name}", flush=True)
        try:
            COMMANDS[name]()
        except Exception:
            traceback.print_exc(file=sys.stdout)
            status = 1
        sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:] or list(COMMANDS)))

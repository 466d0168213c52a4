"""gevent: Cython modules, the event loop implementation picked by name, monkey patching."""

from gevent import monkey

monkey.patch_all()
import socket

import gevent
from gevent.queue import Queue

q = Queue()


def worker(n):
    gevent.sleep(0.01 * (3 - n))
    q.put(n)


gevent.joinall([gevent.spawn(worker, i) for i in range(3)])
print([q.get() for _ in range(3)])
print(socket.socket.__module__, gevent.get_hub().loop.__class__.__module__)

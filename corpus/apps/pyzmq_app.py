"""pyzmq: Cython backend and libzmq from pyzmq.libs; an inproc socket pair."""

import zmq

ctx = zmq.Context()
a = ctx.socket(zmq.PAIR)
b = ctx.socket(zmq.PAIR)
a.bind("inproc://corpus")
b.connect("inproc://corpus")
a.send_json({"msg": "frozen"})
print(b.recv_json(), zmq.zmq_version_info() >= (4,), zmq.backend.Socket.__module__.split(".")[1])
a.close()
b.close()
ctx.term()

"""protobuf: the upb C extension picked at import time, well-known types and a descriptor pool."""

from google.protobuf import descriptor_pb2, json_format, struct_pb2, timestamp_pb2
from google.protobuf.internal import api_implementation

ts = timestamp_pb2.Timestamp(seconds=1_700_000_000)
print(ts.ToJsonString(), api_implementation.Type())
s = struct_pb2.Struct()
s.update({"a": 1, "b": ["x", True]})
print(json_format.MessageToJson(s, sort_keys=True, indent=None))
f = descriptor_pb2.FileDescriptorProto(name="x.proto", package="p")
print(f.SerializeToString().hex())

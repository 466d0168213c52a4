"""pyparsing: grammar building and its common expressions."""

import pyparsing as pp
from pyparsing import common

expr = pp.infix_notation(
    common.integer, [(pp.one_of("* /"), 2, pp.OpAssoc.LEFT), (pp.one_of("+ -"), 2, pp.OpAssoc.LEFT)]
)
print(expr.parse_string("1 + 2 * 3 - 4").as_list())
print(
    common.ipv4_address.parse_string("192.168.0.1")[0],
    common.iso8601_date.parse_string("2024-03-14").as_dict(),
)

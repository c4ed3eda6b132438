"""Evaluates CEL expressions with cel-python, the independent implementation the expression tests
compare Touchpoint's with. Reads one JSON object per line, {"expr": ..., "env": {...}}, and prints
one per line: {"value": ..., "kind": "bool"|"float"|"str"|"list"|"dict"} or {"error": "..."}. Numbers in env are JSON numbers; like Touchpoint
(which has only doubles) the tests pass them as floats.
"""
import json
import sys

import celpy

environment = celpy.Environment()


def plain(value):
    # cel-python returns some results as its CEL types and some as plain Python values.
    if isinstance(value, (celpy.celtypes.BoolType, bool)):
        return bool(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (celpy.celtypes.IntType, celpy.celtypes.UintType, celpy.celtypes.DoubleType)):
        return float(value)
    if isinstance(value, celpy.celtypes.StringType):
        return str(value)
    if isinstance(value, celpy.celtypes.ListType):
        return [plain(v) for v in value]
    if isinstance(value, celpy.celtypes.MapType):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None:
        return None
    raise TypeError(type(value).__name__)


for line in sys.stdin:
    case = json.loads(line)
    try:
        program = environment.program(environment.compile(case["expr"]))
        activation = {k: celpy.json_to_cel(v) for k, v in case["env"].items()}
        result = program.evaluate(activation)
        if isinstance(result, celpy.CELEvalError):
            print(json.dumps({"error": str(result)}), flush=True)
        else:
            value = plain(result)
            kind = "bool" if isinstance(value, bool) else type(value).__name__
            print(json.dumps({"value": value, "kind": kind}), flush=True)
    except Exception as error:  # a parse or evaluation error: only its presence is compared
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)

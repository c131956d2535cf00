"""Safe arithmetic: the query is parsed with `ast` and walked by a small evaluator (never `eval`), with
bounds on
input length, nesting depth, exponent size and integer size so that `9**9**9**9` or 10K nested parentheses
answer
[] in microseconds."""

from __future__ import annotations

import ast
import math
import operator
import re

from toolset.calculator_words import to_expression
from toolset.result import Result

MAX_EXPRESSION_CHARS = 200
MAX_DEPTH = 32  # parentheses / AST nesting
MAX_INT_BITS = 3_400  # about 1,000 decimal digits
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_ALLOWED_CHARS = re.compile(r"^[\d\s.+\-*/%()eE_]+$")
_HAS_OPERATOR = re.compile(r"[+\-*/%]|\*\*")


class _Refused(Exception):
    """The expression is outside what the calculator evaluates (too big, not arithmetic, undefined)."""


def _check_size(value: int | float) -> int | float:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _Refused("integer too large")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused("not finite")
    return value


def _power(base: int | float, exp: int | float) -> int | float:
    if isinstance(exp, float) or isinstance(base, float) or exp < 0:
        if abs(exp) > 10_000:
            raise _Refused("exponent too large")
        result = math.pow(base, exp)  # OverflowError / ValueError are refused by the caller
        return result
    if base in (0, 1, -1):
        return base**exp
    if exp * max(abs(base).bit_length() - 1, 1) > MAX_INT_BITS:
        raise _Refused("result too large")
    return base**exp


def _eval(node: ast.AST, depth: int = 0) -> int | float:
    if depth > MAX_DEPTH:
        raise _Refused("too deep")
    if isinstance(node, ast.Expression):
        return _eval(node.body, depth + 1)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _check_size(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, depth + 1))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, depth + 1), _eval(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return _check_size(_power(left, right))
        if isinstance(node.op, ast.Mult) and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise _Refused("result too large")
        return _check_size(_BINARY[type(node.op)](left, right))
    raise _Refused(f"not arithmetic: {type(node).__name__}")


def _max_paren_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def format_number(value: int | float) -> str:
    """Integers as integers; floats with up to 12 significant digits ("0.333333333333", "12", "1.5e+20")."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".12g")
    return str(value)


def evaluate(query: str) -> str | None:
    """The value of an arithmetic query as text, or None when the query is not (bounded) arithmetic."""
    if len(query) > MAX_EXPRESSION_CHARS:
        return None
    expression = to_expression(query.lower())
    if (
        not expression
        or not _ALLOWED_CHARS.match(expression)
        or not _HAS_OPERATOR.search(expression.lstrip("+-"))
        or _max_paren_depth(expression) > MAX_DEPTH
    ):
        return None
    try:
        tree = ast.parse(expression, mode="eval")
        return format_number(_eval(tree))
    except (_Refused, SyntaxError, ValueError, ArithmeticError, RecursionError, MemoryError, TypeError):
        return None


class Calculator:
    """Tool face: a one-element list with the value, or [] when the query is not arithmetic."""

    name = "calculator"

    def run(self, query: str, *, repeat: int = 0, limit: int = 1) -> list[Result]:
        value = evaluate(query)
        return [] if value is None else [Result(tool=self.name, text=value)]

import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import rnd

FLOATS = ("float32", "float64")
MANY = ("float32", "float64", "int64", "bool")


def _many(*cases):
    """cases: (shape, *args) or (shape, *args, {kwargs})."""

    def gen(rng, dt):
        out = []
        for shape, *args in cases:
            kw = args.pop() if args and isinstance(args[-1], dict) else {}
            out.append(S(rnd(rng, shape, dt), *args, **kw))
        return out

    return gen


def _z(shape, dt=np.float32):
    return np.zeros(shape, dt)


OPS = [
    OpInfo(
        "movedim",
        _many(((2, 3, 4), 0, 2), ((2, 3, 4), -1, 0), ((2, 3, 4), (0, 1), (2, 0)), ((2, 3), [1], [0]), ((0, 3), 0, 1)),
        dtypes=MANY,
        aliases=("moveaxis",),
    ),
    OpInfo("Tensor.movedim", _many(((2, 3, 4), 1, -1))),
    OpInfo("Tensor.moveaxis", _many(((2, 3, 4), 1, -1))),
    OpInfo(
        "narrow",
        _many(((3, 4), 1, 1, 2), ((3, 4), 0, -2, 2), ((5,), 0, 0, 0), ((2, 3, 4), -1, 3, 1), ((0, 4), 1, 1, 3)),
        dtypes=MANY,
    ),
    OpInfo("Tensor.narrow", _many(((3, 4), 1, 0, 4))),
    OpInfo("select", _many(((3, 4), 1, 2), ((3, 4), 0, -1), ((5,), 0, 3), ((2, 3, 4), -2, 0)), dtypes=MANY),
    OpInfo("Tensor.select", _many(((3, 4), -1, 0))),
    OpInfo("unbind", _many(((3, 4),), ((3, 4), 1), ((2, 3, 4), -1), ((1,),), ((0, 3), 1)), dtypes=MANY),
    OpInfo("Tensor.unbind", _many(((3, 2), 1))),
    OpInfo(
        "split",
        _many(
            ((5, 4), 2),
            ((5, 4), 2, 1),
            ((5, 4), [1, 3], 1),
            ((5, 4), [2, 0, 3]),
            ((5,), 5),
            ((5,), 7),
            ((0, 3), 2),
            ((2, 6), (3, 3), -1),
        ),
        dtypes=MANY,
    ),
    OpInfo("Tensor.split", _many(((5, 4), 3), ((5, 4), [1, 4]), ((5, 4), 2, {"dim": 1}))),
    OpInfo(
        "chunk",
        _many(((5, 4), 2), ((5, 4), 3, 1), ((6,), 3), ((6,), 4), ((2,), 5), ((0, 3), 3), ((4, 3), 2, -2)),
        dtypes=MANY,
    ),
    OpInfo("Tensor.chunk", _many(((5, 4), 2, 1))),
    OpInfo(
        "tensor_split",
        lambda rng, dt: [
            S(rnd(rng, (7, 3), dt), 3),
            S(rnd(rng, (7, 3), dt), 2, 1),
            S(rnd(rng, (7, 3), dt), [1, 5]),
            S(rnd(rng, (7, 3), dt), [-1, 1, 9]),
            S(rnd(rng, (7, 3), dt), (1,), dim=1),
            S(rnd(rng, (7,), dt), NoGrad(np.array([2, 4]))),
            S(rnd(rng, (7,), dt), NoGrad(np.array(3))),
            S(rnd(rng, (2,), dt), 4),
        ],
        dtypes=MANY,
    ),
    OpInfo("Tensor.tensor_split", _many(((6, 2), 3))),
    OpInfo("hsplit", _many(((3, 4), 2), ((6,), 3), ((3, 4), [1, 3]), ((2, 4, 2), 2)), dtypes=MANY),
    OpInfo("vsplit", _many(((4, 3), 2), ((4, 3), [1]), ((4, 3, 2), 4))),
    OpInfo("dsplit", _many(((2, 3, 4), 2), ((2, 3, 4), [1, 2]))),
    OpInfo("Tensor.hsplit", _many(((3, 4), 2))),
    OpInfo("Tensor.vsplit", _many(((4, 3), [2]))),
    OpInfo("Tensor.dsplit", _many(((2, 3, 4), 4))),
    OpInfo(
        "diagonal",
        _many(
            ((3, 4),),
            ((3, 4), 1),
            ((3, 4), -2),
            ((4, 3), 5),
            ((2, 3, 4), 0, 0, 2),
            ((2, 3, 4), 1, -1, 1),
            ((2, 3, 4), -1, 2, 0),
            ((0, 3),),
        ),
        dtypes=MANY,
    ),
    OpInfo("Tensor.diagonal", _many(((3, 3), 0, -1, -2))),
    OpInfo(
        "as_strided",
        _many(
            ((3, 4), (2, 2), (1, 2)),
            ((3, 4), (2, 3), (4, 1), 1),
            ((3, 4), (3, 3), (1, 1)),
            ((12,), (4, 3), (1, 2), 2),
            ((3, 4), (0,), (1,)),
            ((3, 4), (), (), 5),
        ),
        dtypes=MANY,
    ),
    OpInfo("Tensor.as_strided", _many(((3, 4), (4, 3), (1, 4)))),
    OpInfo(
        "Tensor.unfold",
        _many(
            ((3, 7), 1, 2, 1),
            ((3, 7), 1, 3, 2),
            ((6, 4), 0, 2, 3),
            ((2, 5, 3), -2, 5, 1),
            ((5,), 0, 0, 1),
            ((), 0, 1, 1),
            ((4, 3), 0, 3, 5),
        ),
        dtypes=MANY,
    ),
    OpInfo(
        "unflatten",
        _many(((2, 6), 1, (2, 3)), ((2, 6), -1, (3, -1)), ((6,), 0, (1, 6, 1)), ((0, 4), 1, (2, 2)), ((2, 6), 0, (2,))),
        dtypes=MANY,
    ),
    OpInfo("Tensor.unflatten", _many(((2, 6), 1, (-1, 2)))),
    OpInfo(
        "atleast_1d",
        lambda rng, dt: [
            S(rnd(rng, (), dt)),
            S(rnd(rng, (3,), dt)),
            S(rnd(rng, (2, 3), dt)),
            S(rnd(rng, (), dt), rnd(rng, (2,), dt)),
            S([rnd(rng, (), dt), rnd(rng, (2, 2), dt)]),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "atleast_2d",
        lambda rng, dt: [
            S(rnd(rng, (), dt)),
            S(rnd(rng, (3,), dt)),
            S(rnd(rng, (2, 3), dt)),
            S(rnd(rng, (), dt), rnd(rng, (2,), dt), rnd(rng, (1, 2, 3), dt)),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "atleast_3d",
        lambda rng, dt: [
            S(rnd(rng, (), dt)),
            S(rnd(rng, (3,), dt)),
            S(rnd(rng, (2, 3), dt)),
            S(rnd(rng, (2, 3, 1), dt)),
            S((rnd(rng, (), dt), rnd(rng, (4,), dt))),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "broadcast_tensors",
        lambda rng, dt: [
            S(rnd(rng, (3, 1), dt), rnd(rng, (4,), dt)),
            S(rnd(rng, (2, 3), dt), rnd(rng, (), dt), rnd(rng, (1, 3), dt)),
            S(rnd(rng, (0, 1), dt), rnd(rng, (3,), dt)),
            S(rnd(rng, (3,), dt)),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "broadcast_shapes",
        lambda rng, dt: [S((3, 1), (4,)), S((2, 1, 3), (5, 1), ()), S(3, (2, 1)), S(), S((0, 1), (3,))],
        dtypes=("float32",),
        grad=False,
    ),
    OpInfo(
        "meshgrid",
        lambda rng, dt: [
            S(rnd(rng, (3,), dt), rnd(rng, (2,), dt), indexing="ij"),
            S(rnd(rng, (3,), dt), rnd(rng, (2,), dt), rnd(rng, (), dt), indexing="xy"),
            S([rnd(rng, (3,), dt), rnd(rng, (4,), dt)], indexing="xy"),
            S(rnd(rng, (3,), dt), indexing="xy"),
            S(rnd(rng, (0,), dt), rnd(rng, (2,), dt), indexing="ij"),
        ],
        dtypes=MANY,
    ),
]

ERRORS = [
    ErrorInput("movedim", S(_z((2, 3)), (0, 1), (0,))),
    ErrorInput("movedim", S(_z((2, 3)), (0, 0), (0, 1))),
    ErrorInput("movedim", S(_z((2, 3)), (0, 1), (1, 1))),
    ErrorInput("movedim", S(_z((2, 3)), 2, 0)),
    ErrorInput("narrow", S(_z((2, 3)), 1, 4, 1)),
    ErrorInput("narrow", S(_z((2, 3)), 1, 2, 3)),
    ErrorInput("narrow", S(_z(()), 0, 0, 1)),
    ErrorInput("narrow", S(_z((2, 3)), 2, 0, 1)),
    ErrorInput("select", S(_z((2, 3)), 1, 3)),
    ErrorInput("select", S(_z((2, 3)), 1, -4)),
    ErrorInput("select", S(_z(()), 0, 0)),
    ErrorInput("unbind", S(_z((2, 3)), 2)),
    ErrorInput("unbind", S(_z(()), 0)),
    ErrorInput("split", S(_z((2, 3)), 0, 1)),
    ErrorInput("split", S(_z((2, 3)), -1, 1)),
    ErrorInput("split", S(_z((2, 3)), [1, 1], 1)),
    ErrorInput("chunk", S(_z((2, 3)), 0)),
    ErrorInput("chunk", S(_z((2, 3)), 2, 3)),
    ErrorInput("tensor_split", S(_z((2, 3)), 0)),
    ErrorInput("tensor_split", S(_z(()), 1)),
    ErrorInput("tensor_split", S(_z((2, 3)), NoGrad(np.array([[1]])))),
    ErrorInput("tensor_split", S(_z((2, 3)), NoGrad(np.array([1.0])))),
    ErrorInput("hsplit", S(_z((2, 4)), 3)),
    ErrorInput("hsplit", S(_z(()), 1)),
    ErrorInput("vsplit", S(_z((3,)), 1)),
    ErrorInput("vsplit", S(_z((3, 2)), 2)),
    ErrorInput("dsplit", S(_z((2, 3)), 1)),
    ErrorInput("diagonal", S(_z((2, 3)), 0, 1, 1)),
    ErrorInput("diagonal", S(_z((2,)))),
    ErrorInput("diagonal", S(_z((2, 3)), 0, 0, 2)),
    ErrorInput("as_strided", S(_z((2, 3)), (10,), (1,))),
    ErrorInput("as_strided", S(_z((2, 3)), (2,), (-1,))),
    ErrorInput("as_strided", S(_z((2, 3)), (2,), (1, 1))),
    ErrorInput("as_strided", S(_z((2, 3)), (2, 2), (1, 1), 5)),
    ErrorInput("unfold", S(_z((2, 3)), 1, 4, 1), method=True),
    ErrorInput("unfold", S(_z((2, 3)), 1, 2, 0), method=True),
    ErrorInput("unfold", S(_z((2, 3)), 1, -1, 1), method=True),
    ErrorInput("unfold", S(_z((2, 3)), 2, 1, 1), method=True),
    ErrorInput("unflatten", S(_z((2, 3)), 1, (2, 2))),
    ErrorInput("unflatten", S(_z((2, 3)), 1, ())),
    ErrorInput("unflatten", S(_z((2, 3)), 1, (-1, 2))),
    ErrorInput("unflatten", S(_z((2, 3)), 2, (1, 3))),
    ErrorInput("broadcast_tensors", S(_z((2, 3)), _z((4,)))),
    ErrorInput("broadcast_shapes", S((3, 1), (2, 4))),
    ErrorInput("meshgrid", S(_z((3,)), _z((2,)), indexing="foo")),
    ErrorInput("meshgrid", S(_z((3,)), _z((2, 2)), indexing="ij")),
    ErrorInput("meshgrid", S(_z((3,)), _z((2,), np.float64), indexing="ij")),
    ErrorInput("meshgrid", S(indexing="ij")),
]

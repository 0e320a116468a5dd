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


def _lists(*cases):
    """cases: (list of shapes, *args): the first argument is a list of tensors."""

    def gen(rng, dt):
        return [S([rnd(rng, sh, dt) for sh in shapes], *args) for shapes, *args in cases]

    return gen


def _z(shape, dt=np.float32):
    return np.zeros(shape, dt)


def _cat_mixed(rng, dt):
    return [
        S([rnd(rng, (2, 3), "float32"), rnd(rng, (1, 3), "float64")]),
        S([rnd(rng, (2, 3), "int64"), rnd(rng, (2, 1), "float32")], 1),
        S([rnd(rng, (2,), "bool"), rnd(rng, (3,), "int32")]),
        S([rnd(rng, (0,), "float64"), rnd(rng, (2, 3), "float32")], 1),
        S([rnd(rng, (0,), "int64"), rnd(rng, (0,), "float32")]),
    ]


OPS = [
    OpInfo(
        "cat",
        _lists(
            ([(2, 3), (4, 3)],),
            ([(2, 3), (2, 1), (2, 0)], 1),
            ([(2, 3), (2, 2)], -1),
            ([(3,)],),
            ([(0,), (2, 3), (0,), (1, 3)],),
            ([(0,), (0,)],),
            ([(2, 0, 3), (2, 2, 3)], 1),
            ([(1, 2, 3), (1, 2, 3), (1, 2, 3)], 2),
        ),
        dtypes=MANY,
        aliases=("concat", "concatenate"),
    ),
    OpInfo("cat", _cat_mixed, dtypes=("float32",)),
    OpInfo(
        "stack",
        _lists(
            ([(2, 3), (2, 3)],),
            ([(2, 3), (2, 3), (2, 3)], 1),
            ([(2, 3), (2, 3)], -1),
            ([(), ()],),
            ([(0, 2)], 1),
            ([(4,)], -1),
        ),
        dtypes=MANY,
    ),
    OpInfo(
        "stack",
        lambda rng, dt: [S([rnd(rng, (2,), "float32"), rnd(rng, (2,), "float64"), rnd(rng, (2,), "int64")])],
        dtypes=("float32",),
    ),
    OpInfo(
        "hstack",
        lambda rng, dt: [
            S([rnd(rng, (3,), dt), rnd(rng, (2,), dt)]),
            S([rnd(rng, (2, 3), dt), rnd(rng, (2, 1), dt)]),
            S([rnd(rng, (), dt), rnd(rng, (2,), dt)]),
            S((rnd(rng, (2, 1, 3), dt), rnd(rng, (2, 2, 3), dt))),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "vstack",
        lambda rng, dt: [
            S([rnd(rng, (3,), dt), rnd(rng, (3,), dt)]),
            S([rnd(rng, (2, 3), dt), rnd(rng, (3,), dt)]),
            S([rnd(rng, (), dt), rnd(rng, (1,), dt)]),
            S([rnd(rng, (1, 2, 3), dt), rnd(rng, (2, 2, 3), dt)]),
        ],
        dtypes=MANY,
        aliases=("row_stack",),
    ),
    OpInfo(
        "dstack",
        lambda rng, dt: [
            S([rnd(rng, (3,), dt), rnd(rng, (3,), dt)]),
            S([rnd(rng, (2, 3), dt), rnd(rng, (2, 3, 2), dt)]),
            S([rnd(rng, (), dt), rnd(rng, (), dt)]),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "column_stack",
        lambda rng, dt: [
            S([rnd(rng, (3,), dt), rnd(rng, (3,), dt)]),
            S([rnd(rng, (3, 2), dt), rnd(rng, (3,), dt)]),
            S([rnd(rng, (), dt), rnd(rng, (1, 2), dt)]),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "flip",
        _many(((3, 4), (0,)), ((3, 4), (0, 1)), ((2, 3, 4), [-1, 0]), ((), ()), ((0, 3), (1,)), ((5,), [0])),
        dtypes=MANY,
    ),
    OpInfo("Tensor.flip", _many(((3, 4), 0), ((3, 4), 0, 1), ((3, 4), (1,)), ((2, 3, 4), [2]))),
    OpInfo("fliplr", _many(((3, 4),), ((2, 3, 4),), ((3, 0),)), dtypes=MANY),
    OpInfo("flipud", _many(((3, 4),), ((5,),), ((0, 2),)), dtypes=MANY),
    OpInfo("Tensor.fliplr", _many(((3, 4),))),
    OpInfo("Tensor.flipud", _many(((3, 4),))),
    OpInfo(
        "roll",
        _many(
            ((3, 4), 1),
            ((3, 4), -5),
            ((3, 4), 1, 0),
            ((3, 4), (1, -2), (0, 1)),
            ((2, 3, 4), 2, -1),
            ((5,), 7, 0),
            ((0, 3), 1, 1),
            ((), 1),
            ((3, 4), (1, 1), (0, 0)),
        ),
        dtypes=MANY,
    ),
    OpInfo("Tensor.roll", _many(((3, 4), 1, 1), ((3, 4), [1], [1]))),
    OpInfo(
        "rot90",
        _many(
            ((3, 4),),
            ((3, 4), 2),
            ((3, 4), -1),
            ((3, 4), 3, [1, 0]),
            ((2, 3, 4), 1, (0, 2)),
            ((2, 3, 4), 5, (-1, -2)),
            ((0, 2), 1),
        ),
        dtypes=MANY,
    ),
    OpInfo("Tensor.rot90", _many(((3, 4), 1, [0, 1]))),
    OpInfo(
        "Tensor.repeat",
        _many(
            ((3,), 2),
            ((2, 3), 2, 1),
            ((2, 3), (1, 2, 3)),
            ((), 3),
            ((), (2, 2)),
            ((2, 3), [0, 2]),
            ((2, 1, 3), 1, 2, 1, 2),
        ),
        dtypes=MANY,
    ),
    OpInfo("tile", _many(((3,), (2,)), ((2, 3), (2,)), ((2, 3), (2, 1, 2)), ((), (3,)), ((2, 3), (0, 1))), dtypes=MANY),
    OpInfo("Tensor.tile", _many(((2, 3), 2), ((2, 3), 2, 2), ((2, 3), (1, 2)))),
    OpInfo(
        "repeat_interleave",
        lambda rng, dt: [
            S(rnd(rng, (2, 3), dt), 2),
            S(rnd(rng, (2, 3), dt), 3, 1),
            S(rnd(rng, (2, 3), dt), 2, dim=-2, output_size=4),
            S(rnd(rng, (), dt), 3),
            S(rnd(rng, (2, 3), dt), 0, 1),
            S(rnd(rng, (2, 3), dt), NoGrad(np.array([1, 0, 2])), 1),
            S(rnd(rng, (2, 3), dt), NoGrad(np.array([2, 1, 0, 1, 1, 3]))),
            S(rnd(rng, (2, 3), dt), NoGrad(np.array([2])), 0),
            S(rnd(rng, (2, 3), dt), NoGrad(np.array(2)), 1),
        ],
        dtypes=MANY,
    ),
    OpInfo("Tensor.repeat_interleave", _many(((2, 3), 2, 0))),
    OpInfo(
        "repeat_interleave",
        lambda rng, dt: [S(NoGrad(np.array([1, 0, 3]))), S(NoGrad(np.array([2]))), S(NoGrad(np.zeros(0, np.int64)))],
        dtypes=("int64",),
        grad=False,
    ),
    OpInfo(
        "tril",
        _many(((3, 4),), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 2), ((4, 3), -5), ((0, 3),), ((3, 3), 10)),
        dtypes=MANY,
    ),
    OpInfo(
        "triu",
        _many(((3, 4),), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 2), ((4, 3), -5), ((0, 3),), ((3, 3), 10)),
        dtypes=MANY,
    ),
    OpInfo("Tensor.tril", _many(((3, 4), 1))),
    OpInfo("Tensor.triu", _many(((3, 4), {"diagonal": -1}))),
    OpInfo("Tensor.tril_", _many(((3, 4),), ((2, 3, 3), 1)), inplace=True, gradcheck=False, dtypes=MANY),
    OpInfo("Tensor.triu_", _many(((3, 4),), ((2, 3, 3), -1)), inplace=True, gradcheck=False, dtypes=MANY),
    OpInfo(
        "diag",
        _many(((3,),), ((3,), 1), ((3,), -2), ((3, 4),), ((3, 4), 2), ((3, 4), -1), ((3, 4), 7), ((0,),)),
        dtypes=MANY,
    ),
    OpInfo("Tensor.diag", _many(((3,), 1))),
    OpInfo(
        "diag_embed",
        _many(((3,),), ((2, 3),), ((2, 3), 1), ((2, 3), -1, 0, 2), ((2, 3), 0, 2, 0), ((2, 3), 2, -1, 1), ((0,),)),
        dtypes=MANY,
    ),
    OpInfo("Tensor.diag_embed", _many(((2, 3), 1))),
    OpInfo("diagflat", _many(((3,),), ((2, 2), 1), ((), -1), ((2, 2),)), dtypes=MANY),
    OpInfo("Tensor.diagflat", _many(((3,), -1))),
    OpInfo(
        "block_diag",
        lambda rng, dt: [
            S(rnd(rng, (2, 3), dt), rnd(rng, (1, 2), dt)),
            S(rnd(rng, (2,), dt), rnd(rng, (), dt), rnd(rng, (2, 2), dt)),
            S(rnd(rng, (2, 2), dt)),
            S(rnd(rng, (0, 2), dt), rnd(rng, (1, 1), dt)),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "block_diag",
        lambda rng, dt: [S(rnd(rng, (2,), "int64"), rnd(rng, (2, 2), "float32")), S()],
        dtypes=("float32",),
    ),
    OpInfo(
        "cartesian_prod",
        lambda rng, dt: [
            S(rnd(rng, (3,), dt), rnd(rng, (2,), dt)),
            S(rnd(rng, (2,), dt), rnd(rng, (2,), dt), rnd(rng, (3,), dt)),
            S(rnd(rng, (3,), dt)),
            S(rnd(rng, (0,), dt), rnd(rng, (2,), dt)),
        ],
        dtypes=MANY,
    ),
    OpInfo(
        "combinations",
        _many(((4,),), ((4,), 3), ((4,), 2, True), ((3,), 1), ((3,), 0), ((3,), 4), ((0,),), ((3,), 3, True)),
        dtypes=MANY,
    ),
]

ERRORS = [
    ErrorInput("cat", S([_z((2, 3)), _z((2, 4))])),
    ErrorInput("cat", S([_z((2, 3)), _z((3,))])),
    ErrorInput("cat", S([_z((2, 3)), _z(())])),
    ErrorInput("cat", S([])),
    ErrorInput("cat", S([_z((2, 3))], 2)),
    ErrorInput("cat", S(_z((2, 3)))),
    ErrorInput("stack", S([])),
    ErrorInput("stack", S([_z((2, 3)), _z((2, 4))])),
    ErrorInput("stack", S([_z((2, 3))], 3)),
    ErrorInput("hstack", S([_z((2, 3)), _z((3, 3))])),
    ErrorInput("vstack", S([_z((2, 3)), _z((2,))])),
    ErrorInput("dstack", S([_z((2, 3)), _z((3, 3))])),
    ErrorInput("column_stack", S([_z((2,)), _z((3,))])),
    ErrorInput("flip", S(_z((2, 3)), (0, 0))),
    ErrorInput("flip", S(_z((2, 3)), 0)),
    ErrorInput("flip", S(_z((2, 3)), (2,))),
    ErrorInput("fliplr", S(_z((3,)))),
    ErrorInput("flipud", S(_z(()))),
    ErrorInput("roll", S(_z((2, 3)), (1, 2))),
    ErrorInput("roll", S(_z((2, 3)), (1, 2), 0)),
    ErrorInput("roll", S(_z((2, 3)), 1, 2)),
    ErrorInput("rot90", S(_z((2, 3)), 1, [0, 0])),
    ErrorInput("rot90", S(_z((2, 3)), 1, [0])),
    ErrorInput("rot90", S(_z((3,)), 1)),
    ErrorInput("rot90", S(_z((2, 3)), 1, [0, 2])),
    ErrorInput("repeat", S(_z((2, 3)), 2), method=True),
    ErrorInput("repeat", S(_z((2, 3)), -1, 2), method=True),
    ErrorInput("tile", S(_z((2, 3)), (-1,))),
    ErrorInput("repeat_interleave", S(NoGrad(np.array([[1, 2]])))),
    ErrorInput("repeat_interleave", S(NoGrad(np.array([1, -2])))),
    ErrorInput("repeat_interleave", S(_z((2, 3)), NoGrad(np.array([1, 2])))),
    ErrorInput("repeat_interleave", S(_z((2, 3)), NoGrad(np.array([1, 2, 3])), 0)),
    ErrorInput("repeat_interleave", S(_z((2, 3)), 2, 0, output_size=5)),
    ErrorInput("repeat_interleave", S(_z((2, 3)), -2, 0)),
    ErrorInput("repeat_interleave", S(_z((2, 3)), 2, 2)),
    ErrorInput("tril", S(_z((3,)))),
    ErrorInput("triu", S(_z(()))),
    ErrorInput("tril_", S(_z((3,))), method=True),
    ErrorInput("diag", S(_z((2, 2, 2)))),
    ErrorInput("diag", S(_z(()))),
    ErrorInput("diag_embed", S(_z(()))),
    ErrorInput("diag_embed", S(_z((2, 3)), 0, 1, 1)),
    ErrorInput("diag_embed", S(_z((2, 3)), 0, 0, 3)),
    ErrorInput("block_diag", S(_z((2, 2, 2)))),
    ErrorInput("cartesian_prod", S(_z((2, 2)), _z((2,)))),
    ErrorInput("combinations", S(_z((2, 2)))),
    ErrorInput("combinations", S(_z((3,)), -1)),
]

"""Networks described as data: AlexNet (2012) and GoogLeNet (2015).

Each description is a :class:`~convbook.models.network.Network` of frozen layer
records, with the numbers its paper prints kept beside it as
:class:`~convbook.models.network.Published` values (value, unit, source). The
functions of :mod:`convbook.models.network` derive shapes and counts from the
data; :mod:`convbook.models.run` draws weights and runs the network:

>>> from convbook.models import alexnet, googlenet, network
>>> network.totals(alexnet.ALEXNET)[0]            # parameters, biases included
60965224
>>> googlenet.INCEPTION["3a"].ch1x1, googlenet.SPATIAL_SIZE["3a"]
(64, 28)
"""

from ..book.tables import Table  # a page helper, kept here for the pages that call models.Table
from . import alexnet, googlenet, layers, network, run
from .layers import LRN, Conv, Dropout, Inception, Linear, Pool
from .network import Network, Published, Row, shape_table, totals, without_groups
from .run import forward, init_weights

__all__ = [
    "LRN",
    "Conv",
    "Dropout",
    "Inception",
    "Linear",
    "Network",
    "Pool",
    "Published",
    "Row",
    "Table",
    "alexnet",
    "forward",
    "googlenet",
    "init_weights",
    "layers",
    "network",
    "run",
    "shape_table",
    "totals",
    "without_groups",
]

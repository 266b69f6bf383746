"""The structure tree mirrored in Python objects while it is changed, and read back.

`load` turns a structure element and everything under it into `Node`s (kids are MCIDs on the
node's page, other nodes, or object references to annotations); `store` writes them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name

__all__ = ["KEPT_EMPTY", "Node", "dictionaries", "label", "load", "number_tree", "store"]

# Elements kept even with nothing in them: a table keeps its shape with its empty cells.
KEPT_EMPTY = {"Figure", "Table", "THead", "TBody", "TFoot", "TR", "TH", "TD"}


@dataclass(eq=False)
class Node:
    """A structure element: its dictionary, its type, its page and its kids, which are MCIDs
    (on its page), other nodes, or object references (dictionaries with /Obj)."""

    obj: Dictionary
    kind: str
    page: int | None
    kids: list = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for kid in self.kids:
            if isinstance(kid, Node):
                yield from kid.walk()

    def mcids(self) -> Iterator[tuple[int, int]]:
        """(page, MCID) of every marked-content sequence under this node, in order."""
        for kid in self.kids:
            if isinstance(kid, int):
                if self.page is not None:
                    yield self.page, kid
            elif isinstance(kid, Node):
                yield from kid.mcids()

    def objrs(self) -> list[Dictionary]:
        return [k for k in self.kids if isinstance(k, Dictionary)]


def load(element: Dictionary, pages: dict) -> Node:
    page = pages.get(element.Pg.objgen) if "/Pg" in element else None
    node = Node(element, str(element.S)[1:], page)
    kids = element.get("/K")
    for kid in kids if isinstance(kids, Array) else [] if kids is None else [kids]:
        if isinstance(kid, int):
            node.kids.append(int(kid))
        elif isinstance(kid, Dictionary) and "/S" in kid:
            node.kids.append(load(kid, pages))
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
            node.kids.append(kid)
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
            page = pages.get(kid.Pg.objgen) if "/Pg" in kid else page
            if page == node.page:
                node.kids.append(int(kid.MCID))
            else:
                node.kids.append(kid)  # kept as it is (WeasyPrint writes none)
    return node


def store(node: Node, parent: Dictionary) -> None:
    """Write the mirror back into the dictionaries."""
    node.obj.S = Name("/" + node.kind)
    node.obj.P = parent
    kids = []
    for kid in node.kids:
        if isinstance(kid, Node):
            store(kid, node.obj)
            kids.append(kid.obj)
        else:
            kids.append(kid)
    node.obj.K = Array(kids)


def label(document: pikepdf.Pdf, index: int | None) -> str:
    if index is None:
        return "?"
    try:
        return str(document.pages[index].label)
    except (AttributeError, ValueError):
        return str(index + 1)


def dictionaries(value) -> list[Dictionary]:
    if value is None:
        return []
    return [v for v in (value if isinstance(value, Array) else [value]) if "/S" in v]


def number_tree(tree) -> dict[int, object]:
    out: dict[int, object] = {}
    if tree is None:
        return out
    nums = tree.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums), 2):
            out[int(nums[index])] = nums[index + 1]
    for kid in tree.get("/Kids", []):
        out |= number_tree(kid)
    return out

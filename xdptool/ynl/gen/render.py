# SPDX-License-Identifier: GPL-2.0-only
"""Rendering the generator's model of a family into one Python module."""

from __future__ import annotations

import dataclasses
import textwrap

from xdptool.ynl.gen.spec import (
    BIG_ENDIAN,
    GENERATOR,
    HEADER_MARK,
    LINE_WIDTH,
    SCALARS,
    Attr,
    AttrSet,
    Definition,
    Family,
    Op,
    nested_order,
    snake,
)

# ---------------------------------------------------------------------------
# Rendering helpers


def pystr(text: str) -> str:
    """A double-quoted Python string literal."""
    out = repr(text)
    if out.startswith("'") and '"' not in text:
        out = '"' + out[1:-1].replace("\\'", "'") + '"'
    return out


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap each line of text that is too long; keep the author's line breaks."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if len(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                subsequent_indent=indent + ("    " if indent else ""),
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    while lines and not lines[-1]:
        lines.pop()
    return lines


def docstring(text: str, indent: str) -> list[str]:
    """Lines of a docstring literal for text (escaped, wrapped to the line width)."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    width = LINE_WIDTH - len(indent) - 6
    lines = wrap_text(text, width) or [""]
    if len(lines) == 1 and not lines[0].endswith('"'):
        return [f'{indent}"""{lines[0]}"""']
    out = [f'{indent}"""{lines[0]}']
    out.extend(f"{indent}{line}" if line else "" for line in lines[1:])
    out.append(f'{indent}"""')
    return out


def string_expr(text: str, indent: str, prefix: str = "", suffix: str = "") -> list[str]:
    """``prefix + literal + suffix``, split into implicitly concatenated pieces
    inside parentheses when it does not fit on one line."""
    one = f"{indent}{prefix}{pystr(text)}{suffix}"
    if len(one) <= LINE_WIDTH:
        return [one]
    inner = indent + "    "
    width = LINE_WIDTH - len(inner) - 8
    words = text.split(" ")
    pieces: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and len(pystr(candidate)) > width:
            pieces.append(current + " ")
            current = word
        else:
            current = candidate
    pieces.append(current)
    out = [f"{indent}{prefix}("]
    out.extend(f"{inner}{pystr(piece)}" for piece in pieces)
    out.append(f"{indent}){suffix}")
    return out


@dataclasses.dataclass
class Imports:
    names: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    modules: set[str] = dataclasses.field(default_factory=set)

    def add(self, module: str, name: str | None = None) -> str:
        if name is None:
            self.modules.add(module)
            return module
        self.names.setdefault(module, set()).add(name)
        return name

    def render(self) -> list[str]:
        lines = ["from __future__ import annotations", ""]
        stdlib = sorted(self.modules)
        lines.extend(f"import {m}" for m in stdlib)
        for module in sorted(self.names):
            lines.append(f"from {module} import {', '.join(sorted(self.names[module]))}")
        lines.extend(["", "from xdptool.ynl import runtime"])
        return lines


# ---------------------------------------------------------------------------
# Rendering


class Renderer:
    def __init__(self, family: Family) -> None:
        self.f = family
        self.imports = Imports()
        self.defs = {d.name: d for d in family.definitions}
        self.top_sets = self._top_sets()
        self.nest_sets = nested_order(family, None)
        self.required = self._required_attrs()

    # -- analysis -------------------------------------------------------

    def _top_sets(self) -> list[AttrSet]:
        names = {op.attr_set for op in self.f.ops if op.attr_set is not None}
        return [s for s in self.f.attr_sets.values() if s.name in names]

    def _required_attrs(self) -> dict[str, set[str]]:
        """Per set: attributes a reply always carries (the object's key).

        An attribute is required when an operation's ``do`` request names it
        and the operation's reply carries it too: it identifies the object,
        so the kernel always echoes it. Everything else may be absent (an
        older kernel, a feature the device lacks) and decodes to None.
        """
        out: dict[str, set[str]] = {name: set() for name in self.f.attr_sets}
        for op in self.f.ops:
            if op.attr_set is None or op.do is None or not op.do.request:
                continue
            replies = set(op.do.reply or []) | set((op.dump.reply if op.dump else None) or [])
            aset = self.f.attr_sets[op.attr_set]
            for name in op.do.request:
                attr = aset.attr(name)
                if attr and name in replies and not attr.multi and attr.type != "flag":
                    out[op.attr_set].add(name)
        return out

    # -- types ----------------------------------------------------------

    def nla_type(self, attr: Attr) -> str:
        if attr.type in ("pad", "unused"):
            return "none"
        if attr.type == "flag":
            return "flag"
        if attr.type == "string":
            return "asciiz"
        if attr.type == "binary":
            return "cdata"
        if attr.type == "nest":
            assert attr.nested is not None
            return f"nest_{snake(attr.nested)}|nested"
        if attr.byte_order == "big-endian" and attr.type in BIG_ENDIAN:
            return BIG_ENDIAN[attr.type]
        return SCALARS[attr.type][0]

    def value_type(self, attr: Attr) -> str:
        """Python type of one value of the attribute."""
        if attr.enum is not None:
            return self.defs[attr.enum].ident
        if attr.type in SCALARS:
            return "int"
        if attr.type == "nest":
            assert attr.nested is not None
            return self.f.attr_sets[attr.nested].ident
        return {"string": "str", "binary": "bytes", "flag": "bool"}[attr.type]

    def converter(self, attr: Attr) -> str:
        """What turns one decoded value into value_type(attr)."""
        if attr.type == "nest":
            return f"{self.value_type(attr)}.from_nla"
        special = {"string": "runtime.to_str", "binary": "runtime.to_bytes"}
        return special.get(attr.type) or self.value_type(attr)

    # -- module ---------------------------------------------------------

    def render(self) -> str:
        body: list[str] = []
        body += self.render_constants()
        for d in self.f.definitions:
            if d.kind != "const":
                body += ["", "", *self.render_enum(d)]
        body += ["", "", *self.render_ops_table()]
        body += ["", "", *self.render_attr_names()]
        for s in self.nest_sets:
            body += ["", "", *self.render_nla_class(s, nested=True)]
        for s in self.top_sets:
            body += ["", "", *self.render_nla_class(s, nested=False)]
        for s in self.dataclass_order():
            body += ["", "", *self.render_dataclass(s)]
        for op in self.f.ops:
            for mode in ("do", "dump"):
                if getattr(op, mode) is not None:
                    body += ["", "", *self.render_builder(op, mode)]
        body += self.render_notification_table()
        body += ["", "", *self.render_family_class()]

        module_doc = self.f.doc or f"The {self.f.name} generic netlink family."
        module_doc += (
            f"\n\nTyped bindings for the ``{self.f.name}`` generic netlink family, on"
            " xdptool's netlink runtime. Use :class:`" + self.f.ident + "` as a context manager."
        )
        head = [
            f"# SPDX-License-Identifier: {self.f.license}",
            f"{HEADER_MARK}{self.f.source}. Do not edit.",
            f"# Regenerate with {GENERATOR}; {GENERATOR} --check verifies it is current.",
            *docstring(module_doc, ""),
            "",
            *self.imports.render(),
            "",
        ]
        text = "\n".join(head + body) + "\n"
        long = [n for n, line in enumerate(text.splitlines(), 1) if len(line) > LINE_WIDTH]
        if long:  # pragma: no cover - a generator bug, not a spec error
            raise RuntimeError(f"generated line(s) {long} exceed {LINE_WIDTH} columns")
        return text

    def render_constants(self) -> list[str]:
        final = self.imports.add("typing", "Final")
        out = [f"FAMILY_NAME: {final} = {pystr(self.f.name)}"]
        groups = ", ".join(pystr(g) for g in self.f.mcast_groups)
        if len(self.f.mcast_groups) == 1:
            groups += ","
        out.append(f"MCAST_GROUPS: {final} = ({groups})")
        out.append('"""Multicast groups of the family, by spec name."""')
        for d in self.f.definitions:
            if d.kind != "const":
                continue
            value = d.const_value
            literal = str(value) if isinstance(value, int) else pystr(value)
            out.append(f"{d.ident}: {final} = {literal}")
            if d.doc:
                out += docstring(d.doc, "")
        return out

    def render_enum(self, d: Definition) -> list[str]:
        base = "runtime.YnlFlags" if d.kind == "flags" else "runtime.YnlEnum"
        mapping = self.imports.add("collections.abc", "Mapping")
        doc = d.doc or f"Values of the ``{d.name}`` {d.kind} definition."
        doc += f"\n\nSpec: ``{d.name}`` ({d.kind})."
        if d.entries:
            doc += "\n\nMembers:"
            for e in d.entries:
                line = f"{e.ident} ({e.name})"
                doc += f"\n    {line}: {e.doc}" if e.doc else f"\n    {line}"
        out = [f"class {d.ident}({base}):", *docstring(doc, "    "), ""]
        for e in d.entries:
            out.append(f"    {e.ident} = {d.user_value(e)}")
        out += ["", "    @classmethod", f"    def _spec_names(cls) -> {mapping}[int, str]:"]
        out += self.dict_literal({d.user_value(e): e.name for e in d.entries}, "        return ")
        out += ["", "    @classmethod", f"    def _spec_docs(cls) -> {mapping}[int, str]:"]
        docs = {d.user_value(e): " ".join(e.doc.split()) for e in d.entries if e.doc}
        out += self.dict_literal(docs, "        return ")
        return out

    def dict_literal(self, items: dict[int, str], prefix: str) -> list[str]:
        indent = prefix[: len(prefix) - len(prefix.lstrip())]
        if not items:
            return [f"{prefix}{{}}"]
        out = [f"{prefix}{{"]
        for key, value in items.items():
            out += string_expr(value, indent + "    ", f"{key}: ", ",")
        out.append(f"{indent}}}")
        return out

    def render_ops_table(self) -> list[str]:
        final = self.imports.add("typing", "Final")
        out = [
            f"OPS: {final}[dict[str, tuple[int | None, int | None]]] = {{",
        ]
        for op in self.f.ops:
            out.append(f"    {pystr(op.name)}: ({op.req_value}, {op.rsp_value}),")
        out.append("}")
        out.append('"""Operation ids by spec name: (request cmd, reply/notification cmd)."""')
        out += ["", f"OP_MODES: {final}[dict[str, tuple[str, ...]]] = {{"]
        for op in self.f.ops:
            modes = [pystr(m) for m in ("do", "dump") if getattr(op, m) is not None]
            literal = "(" + ", ".join(modes) + ("," if len(modes) == 1 else "") + ")"
            out.append(f"    {pystr(op.name)}: {literal},")
        out.append("}")
        out.append('"""Modes ("do", "dump") of each operation; see YnlFamily.kernel_supports()."""')
        return out

    def render_attr_names(self) -> list[str]:
        final = self.imports.add("typing", "Final")
        out = [f"ATTR_NAMES: {final}[dict[str, dict[int, str]]] = {{"]
        for s in self.f.attr_sets.values():
            out.append(f"    {pystr(s.name)}: {{")
            for attr in sorted(s.attrs, key=lambda a: a.value):
                out.append(f"        {attr.value}: {pystr(attr.name)},")
            out.append("    },")
        out.append("}")
        out.append('"""Attribute numbers to spec names, per attribute set."""')
        return out

    def render_nla_class(self, s: AttrSet, nested: bool) -> list[str]:
        if nested:
            name, base = f"{s.ident}Nla", "runtime.NestedAttrs"
            doc = f"Attribute map (nested) of attribute set ``{s.name}``."
        else:
            name, base = f"{s.ident}Msg", "runtime.GenlMessage"
            doc = f"Attribute map (genl message) of attribute set ``{s.name}``."
        out = [f"class {name}({base}):", *docstring(doc, "    "), "", "    __slots__ = ()"]
        nests = sorted({a.nested for a in s.attrs if a.nested is not None})
        for nest in nests:
            out.append(f"    nest_{snake(nest)} = {self.f.attr_sets[nest].ident}Nla")
        out.append("    nla_map = (")
        for attr in sorted(s.attrs, key=lambda a: a.value):
            nla_type = pystr(self.nla_type(attr))
            out.append(f"        ({attr.value}, {pystr(attr.c_name)}, {nla_type}),")
        out.append("    )")
        return out

    def dataclass_order(self) -> list[AttrSet]:
        seen = {s.name for s in self.nest_sets}
        rest = [s for s in self.f.attr_sets.values() if s.name not in seen]
        return self.nest_sets + rest

    def field_type(self, s: AttrSet, attr: Attr) -> tuple[str, str | None]:
        """(annotation, default) of the dataclass field for attr."""
        vtype = self.value_type(attr)
        if attr.multi:
            return f"tuple[{vtype}, ...]", "()"
        if attr.type == "flag":
            return "bool", "False"
        if attr.name in self.required[s.name]:
            return vtype, None
        return f"{vtype} | None", "None"

    def render_dataclass(self, s: AttrSet) -> list[str]:
        self.imports.add("dataclasses")
        doc = s.doc or f"Attribute set ``{s.name}`` of the ``{self.f.name}`` family."
        if s.subset_of:
            doc += f"\n\nA subset of attribute set ``{s.subset_of}``."
        doc += (
            "\n\nAn attribute the kernel did not send is None (a flag: False; a"
            " multi-attr: empty)."
        )
        if s.fields:
            doc += "\n\nAttributes:"
            for attr in s.fields:
                text = " ".join(attr.doc.split()) or f"``{attr.name}`` ({attr.type})"
                doc += f"\n    {attr.ident}: {text}"
        out = [
            "@dataclasses.dataclass(frozen=True, kw_only=True)",
            f"class {s.ident}:",
            *docstring(doc, "    "),
            "",
        ]
        for attr in s.fields:
            annotation, default = self.field_type(s, attr)
            meta = f'metadata={{"ynl-name": {pystr(attr.name)}, "ynl-type": {pystr(attr.type)}'
            meta += ', "ynl-multi": True}' if attr.multi else "}"
            args = meta if default is None else f"default={default}, {meta}"
            line = f"    {attr.ident}: {annotation} = dataclasses.field({args})"
            if len(line) <= LINE_WIDTH:
                out.append(line)
            else:
                out += [
                    f"    {attr.ident}: {annotation} = dataclasses.field(",
                    f"        {args}",
                    "    )",
                ]
        # decode
        out += [
            "",
            "    @classmethod",
            f"    def from_nla(cls, msg: runtime.Attrs) -> {s.ident}:",
            '        """Decode from a decoded message or nested attribute of this set."""',
        ]
        if not s.fields:
            out.append("        return cls()")
        else:
            out.append("        return cls(")
            for attr in s.fields:
                out += self.decode_expr(s, attr)
            out.append("        )")
        if s in self.top_sets:
            out += [
                "",
                "    @classmethod",
                f"    def from_bytes(cls, raw: bytes) -> {s.ident}:",
                '        """Decode one raw netlink message (nlmsghdr, genl header, attributes)."""',
                f"        return cls.from_nla(runtime.decode_as({s.ident}Msg, raw))",
            ]
        # encode
        out += [
            "",
            "    def to_attrs(self) -> runtime.AttrList:",
            '        """The attributes as (NAME, value) pairs to encode; None values left out."""',
            "        attrs: runtime.AttrList = []",
        ]
        for attr in s.fields:
            out += self.put_stmt(attr, f"self.{attr.ident}", "        ")
        out.append("        return attrs")
        return out

    def decode_expr(self, s: AttrSet, attr: Attr) -> list[str]:
        name = pystr(attr.c_name)
        if attr.type == "flag":
            call = f"runtime.flag(msg, {name})"
        elif attr.multi:
            call = f"runtime.multi(msg, {name}, {self.converter(attr)})"
        elif attr.name in self.required[s.name]:
            call = f"runtime.required(msg, {name}, {self.converter(attr)}, {pystr(s.name)})"
        else:
            call = f"runtime.optional(msg, {name}, {self.converter(attr)})"
        line = f"            {attr.ident}={call},"
        if len(line) <= LINE_WIDTH:
            return [line]
        head, args = call.split("(", 1)
        return [
            f"            {attr.ident}={head}(",
            f"                {args[:-1]}",
            "            ),",
        ]

    def put_stmt(self, attr: Attr, expr: str, indent: str) -> list[str]:
        if attr.type == "flag":
            func = "put_flag"
        elif attr.type == "nest":
            func = "put_multi_nest" if attr.multi else "put_nest"
        else:
            func = "put_multi" if attr.multi else "put"
        line = f"{indent}runtime.{func}(attrs, {pystr(attr.c_name)}, {expr})"
        if len(line) <= LINE_WIDTH:
            return [line]
        return [
            f"{indent}runtime.{func}(",
            f"{indent}    attrs, {pystr(attr.c_name)}, {expr}",
            f"{indent})",
        ]

    # -- operations -----------------------------------------------------

    def op_params(self, op: Op, mode: str) -> list[tuple[Attr, str, str | None]]:
        """(attr, annotation, default) of the request parameters of op/mode."""
        m = getattr(op, mode)
        assert op.attr_set is not None and m is not None
        aset = self.f.attr_sets[op.attr_set]
        replies = set(m.reply or [])
        if mode == "do":
            replies |= set((op.dump.reply if op.dump else None) or [])
        params: list[tuple[Attr, str, str | None]] = []
        for name in m.request or []:
            attr = aset.attr(name)
            assert attr is not None
            vtype = self.value_type(attr)
            if vtype in self.defs_idents():
                vtype = f"{vtype} | int"
            if attr.multi:
                seq = self.imports.add("collections.abc", "Sequence")
                params.append((attr, f"{seq}[{vtype}] | None", "None"))
            elif attr.type == "flag":
                params.append((attr, "bool", "False"))
            elif mode == "do" and name in replies:
                params.append((attr, vtype, None))
            else:
                params.append((attr, f"{vtype} | None", "None"))
        return params

    def defs_idents(self) -> set[str]:
        return {d.ident for d in self.f.definitions if d.kind != "const"}

    @staticmethod
    def signature(params: list[tuple[Attr, str, str | None]], first: str = "") -> str:
        parts = [first] if first else []
        required = [p for p in params if p[2] is None]
        optional = [p for p in params if p[2] is not None]
        parts += [f"{a.ident}: {ann}" for a, ann, _ in required]
        if optional:
            parts.append("*")
            parts += [f"{a.ident}: {ann} = {default}" for a, ann, default in optional]
        return ", ".join(parts)

    @staticmethod
    def call_args(params: list[tuple[Attr, str, str | None]]) -> str:
        parts = [a.ident for a, _, default in params if default is None]
        parts += [f"{a.ident}={a.ident}" for a, _, default in params if default is not None]
        return ", ".join(parts)

    def def_lines(self, head: str, sig: str, tail: str, indent: str) -> list[str]:
        one = f"{indent}def {head}({sig}){tail}"
        if len(one) <= LINE_WIDTH:
            return [one]
        out = [f"{indent}def {head}("]
        out += [f"{indent}    {part.strip()}," for part in sig.split(", ")]
        out.append(f"{indent}){tail}")
        return out

    def render_builder(self, op: Op, mode: str) -> list[str]:
        assert op.attr_set is not None
        aset = self.f.attr_sets[op.attr_set]
        params = self.op_params(op, mode)
        name = f"{op.ident}_{mode}_request"
        out = self.def_lines(name, self.signature(params), f" -> {aset.ident}Msg:", "")
        doc = f"Build the ``{op.name}`` {mode} request (not yet encoded)."
        if op.doc:
            doc += f"\n\n{op.doc}"
        out += docstring(doc, "    ")
        out.append("    attrs: runtime.AttrList = []")
        for attr, _, _ in params:
            out += self.put_stmt(attr, attr.ident, "    ")
        out.append(f"    return runtime.new_request({aset.ident}Msg, {op.req_value}, attrs)")
        return out

    def ntf_ops(self) -> list[Op]:
        return [op for op in self.f.ops if op.is_async and op.rsp_value is not None]

    def ntf_type(self) -> str:
        sets = []
        for op in self.ntf_ops():
            assert op.attr_set is not None
            ident = self.f.attr_sets[op.attr_set].ident
            if ident not in sets:
                sets.append(ident)
        return " | ".join(sets)

    def render_notification_table(self) -> list[str]:
        ops = self.ntf_ops()
        if not ops:
            return []
        final = self.imports.add("typing", "Final")
        callable_ = self.imports.add("collections.abc", "Callable")
        ntype = self.ntf_type()
        out = [
            "",
            "",
            f"Notification = tuple[str, {ntype}]",
            '"""A decoded notification: (operation name, object)."""',
            "",
            f"_NOTIFICATIONS: {final}[dict[int, tuple[str, {callable_}[[bytes], {ntype}]]]] = {{",
        ]
        for op in ops:
            assert op.attr_set is not None
            ident = self.f.attr_sets[op.attr_set].ident
            out.append(f"    {op.rsp_value}: ({pystr(op.name)}, {ident}.from_bytes),")
        out.append("}")
        return out

    def render_family_class(self) -> list[str]:
        classvar = self.imports.add("typing", "ClassVar")
        doc = self.f.doc or f"The ``{self.f.name}`` generic netlink family."
        doc += (
            f"\n\n``{self.f.ident}()`` opens a generic netlink socket and resolves the"
            f" ``{self.f.name}`` family; it raises runtime.FamilyNotFoundError when the"
            " kernel lacks it. Methods raise runtime.YnlError with the kernel's errno"
            " and extended ACK message. Pass ``netns`` to talk to a named network"
            " namespace. Use it as a context manager or call close()."
        )
        out = [f"class {self.f.ident}(runtime.YnlFamily):", *docstring(doc, "    "), ""]
        out.append(f"    family_name: {classvar}[str] = FAMILY_NAME")
        out.append(f"    mcast_groups: {classvar}[tuple[str, ...]] = MCAST_GROUPS")
        mapping = self.imports.add("collections.abc", "Mapping")
        out.append(f"    op_ids: {classvar}[{mapping}[str, tuple[int | None, int | None]]] = OPS")
        out.append(f"    op_modes: {classvar}[{mapping}[str, tuple[str, ...]]] = OP_MODES")
        for op in self.f.ops:
            for mode in ("do", "dump"):
                if getattr(op, mode) is not None:
                    out += ["", *self.render_method(op, mode)]
        if self.ntf_ops():
            out += ["", *self.render_notifications_method()]
        return out

    def render_method(self, op: Op, mode: str) -> list[str]:
        assert op.attr_set is not None
        aset = self.f.attr_sets[op.attr_set]
        m = getattr(op, mode)
        params = self.op_params(op, mode)
        has_reply = m.reply is not None
        name = op.ident if mode == "do" else f"{op.ident}_dump"
        ret = aset.ident if has_reply else "None"
        if mode == "dump":
            ret = f"list[{aset.ident}]"
        out = self.def_lines(name, self.signature(params, "self"), f" -> {ret}:", "    ")
        doc = op.doc or f"The ``{op.name}`` operation."
        if mode == "do":
            what = "returns the reply" if has_reply else "waits for the kernel's ACK"
            doc += f"\n\n``{op.name}`` do request; {what}."
        else:
            doc += f"\n\n``{op.name}`` dump request; returns every object the kernel lists."
        if "admin-perm" in op.flags:
            doc += " Needs CAP_NET_ADMIN (YnlError with errno EPERM otherwise)."
        out += docstring(doc, "        ")
        builder = f"{op.ident}_{mode}_request({self.call_args(params)})"
        kwargs = [f"op={pystr(op.name)}"]
        if mode == "dump":
            kwargs.append("dump=True")
        elif not has_reply:
            kwargs.append("ack=True")
        kwargs.append(f"attr_names=ATTR_NAMES[{pystr(aset.name)}]")
        target = "replies = " if has_reply or mode == "dump" else ""
        call = f"        {target}self._request({builder}, {', '.join(kwargs)})"
        if len(call) <= LINE_WIDTH:
            out.append(call)
        else:
            out.append(f"        {target}self._request(")
            if len(f"            {builder},") <= LINE_WIDTH:
                out.append(f"            {builder},")
            else:  # one argument per line (call_args joins name=name pairs)
                out.append(f"            {op.ident}_{mode}_request(")
                out += [f"                {arg}," for arg in self.call_args(params).split(", ")]
                out.append("            ),")
            out += [f"            {kw}," for kw in kwargs]
            out.append("        )")
        if mode == "dump":
            out.append(f"        return [{aset.ident}.from_bytes(raw) for raw in replies]")
        elif has_reply:
            out.append(
                f"        return {aset.ident}.from_bytes(self._single(replies, {pystr(op.name)}))"
            )
        return out

    def render_notifications_method(self) -> list[str]:
        iterator = self.imports.add("collections.abc", "Iterator")
        doc = (
            "Decoded notifications, after subscribe(): yields (op name, object).\n\n"
            "Stops after ``timeout`` seconds in total (None: never). Notifications:"
        )
        for op in self.ntf_ops():
            doc += f"\n    {op.name}: {op.doc}" if op.doc else f"\n    {op.name}"
        sig = "self, timeout: float | None = None"
        out = [
            *self.def_lines("notifications", sig, f" -> {iterator}[Notification]:", "    "),
            *docstring(doc, "        "),
            "        for cmd, raw in self._raw_notifications(timeout):",
            "            entry = _NOTIFICATIONS.get(cmd)",
            "            if entry is not None:",
            "                yield entry[0], entry[1](raw)",
        ]
        return out


def render(family: Family) -> str:
    return Renderer(family).render()

#!/usr/bin/env python3
"""Lists every public symbol under Sources/ that has no `///` (or `/** */`) doc comment.

A public symbol is a declaration written with `public` or `open`, a `case` inside a public enum,
and a requirement inside a public protocol. It is documented when the nearest line above it that
is neither blank nor part of an attribute (`@discardableResult`, `@available(...)` over several
lines, ...) is a doc comment.

Usage: Scripts/check-docs.py [ROOT ...]   (default: Sources, relative to the repository)
Prints `file:line: declaration` for each undocumented symbol and exits 1 if there is any,
0 if there is none. Python 3 standard library only.
"""

import os
import re
import sys

DECL_KEYWORDS = (
    "func|var|let|init|subscript|enum|struct|class|actor|protocol|typealias|"
    "associatedtype|case|extension|deinit|macro|operator|precedencegroup"
)
MODIFIERS = (
    r"public|open|private|fileprivate|internal|package|static|class|final|override|"
    r"nonisolated|mutating|nonmutating|borrowing|consuming|convenience|required|lazy|"
    r"weak|unowned|indirect|dynamic|optional|prefix|postfix|infix|distributed"
)
ATTRIBUTE = r"@\w+(?:\([^()]*(?:\([^()]*\)[^()]*)*\))?"
DECLARATION = re.compile(
    r"^\s*(?P<prefix>(?:(?:" + ATTRIBUTE + r"|(?:" + MODIFIERS + r")(?:\(\w+\))?)\s+)*)"
    r"(?P<keyword>" + DECL_KEYWORDS + r")\b"
)
TYPE_KEYWORDS = {"enum", "struct", "class", "actor", "protocol", "extension"}


def code_only(lines):
    """Returns the lines with comments and string-literal contents blanked out (braces in them
    would otherwise confuse scope tracking). Handles block comments, multi-line strings and
    string interpolation across lines."""
    result = []
    in_block_comment = 0          # nesting depth of /* */
    string_stack = []             # open strings: '"' or '"""' (with interpolation depth below)
    paren_stack = []              # paren depth inside each \( ... ) interpolation
    for line in lines:
        out = []
        i = 0
        n = len(line)
        while i < n:
            c = line[i]
            if in_block_comment:
                if line.startswith("*/", i):
                    in_block_comment -= 1
                    i += 2
                elif line.startswith("/*", i):
                    in_block_comment += 1
                    i += 2
                else:
                    i += 1
                continue
            in_string = len(string_stack) > len(paren_stack)
            if in_string:
                delimiter = string_stack[-1]
                if c == "\\" and line.startswith("\\(", i):
                    paren_stack.append(0)
                    out.append("(")
                    i += 2
                elif c == "\\":
                    i += 2
                elif line.startswith(delimiter, i):
                    string_stack.pop()
                    out.append('"')
                    i += len(delimiter)
                else:
                    i += 1
                continue
            if line.startswith("//", i):
                break
            if line.startswith("/*", i):
                in_block_comment += 1
                i += 2
                continue
            if line.startswith('"""', i):
                string_stack.append('"""')
                out.append('"')
                i += 3
                continue
            if c == '"':
                string_stack.append('"')
                out.append('"')
                i += 1
                continue
            if paren_stack:
                if c == "(":
                    paren_stack[-1] += 1
                elif c == ")":
                    if paren_stack[-1] == 0:
                        paren_stack.pop()
                        out.append(")")
                        i += 1
                        continue
                    paren_stack[-1] -= 1
            out.append(c)
            i += 1
        # A single-line string cannot continue onto the next line; recover if one was left open.
        while string_stack and string_stack[-1] == '"' and len(string_stack) > len(paren_stack):
            string_stack.pop()
        result.append("".join(out))
    return result


def is_documented(lines, index):
    """True when the nearest line above `index` that is not blank and not part of an attribute
    is a doc comment."""
    i = index - 1
    while i >= 0:
        text = lines[i].strip()
        if not text:
            i -= 1
            continue
        if text.startswith("///"):
            return True
        if text.endswith("*/"):
            # Walk back to the start of the block comment.
            j = i
            while j >= 0 and "/*" not in lines[j]:
                j -= 1
            return j >= 0 and lines[j].strip().startswith("/**")
        if text.startswith("@"):
            i -= 1
            continue
        # The end of an attribute's argument list over several lines: `@available(\n ...\n)`.
        if text.endswith(")") and text.count(")") > text.count("("):
            depth = 0
            j = i
            while j >= 0:
                depth += lines[j].count(")") - lines[j].count("(")
                if depth <= 0:
                    break
                j -= 1
            if j >= 0 and lines[j].strip().startswith("@"):
                i = j - 1
                continue
        return False
    return False


def check_file(path):
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    code = code_only(lines)
    findings = []
    # Each open brace's scope: (keyword, public) for a type, extension or protocol body, else None.
    scopes = []
    pending = None
    for index, text in enumerate(code):
        match = DECLARATION.match(text)
        if match:
            keyword = match.group("keyword")
            words = re.findall(r"\w+(?:\(\w+\))?", re.sub(ATTRIBUTE, " ", match.group("prefix")))
            explicit = "public" in words or "open" in words
            enclosing = scopes[-1] if scopes else None
            public = explicit
            if enclosing is not None and not any(
                w in ("private", "fileprivate", "internal", "package") for w in words
            ):
                parent_keyword, parent_public = enclosing
                if parent_public and parent_keyword == "enum" and keyword == "case":
                    public = True
                elif parent_public and parent_keyword in ("protocol", "extension"):
                    public = True
            if public and keyword != "extension":
                if not is_documented(lines, index):
                    findings.append((index + 1, lines[index].strip()))
            if keyword in TYPE_KEYWORDS:
                pending = (keyword, public)
            else:
                pending = None
        for c in text:
            if c == "{":
                scopes.append(pending)
                pending = None
            elif c == "}":
                if scopes:
                    scopes.pop()
    return findings


def main(arguments):
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = arguments or [os.path.join(repository, "Sources")]
    total = 0
    for root in roots:
        paths = []
        if os.path.isfile(root):
            paths = [root]
        for directory, subdirectories, files in os.walk(root):
            subdirectories.sort()
            paths.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(".swift"))
        for path in paths:
            for line, declaration in check_file(path):
                print(f"{os.path.relpath(path)}:{line}: {declaration}")
                total += 1
    if total:
        print(f"{total} public symbol(s) without a doc comment", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

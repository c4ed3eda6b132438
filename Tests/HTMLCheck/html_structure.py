"""Reads JSON strings (HTML documents), one per line, and prints for each what Python's
html.parser makes of it: the tags in order with their attributes, and the text.

The escaping tests compare this structure for hostile data with the structure for plain
data: no element or attribute may appear from data, and every value must read back exactly.
"""
import json
import sys
from html.parser import HTMLParser


class Structure(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append([tag, [[k, v] for k, v in attrs]])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.tags.append(["/" + tag, []])

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.tags.append(["!--", [["data", data]]])

    def handle_decl(self, decl):
        self.tags.append(["!", [["decl", decl]]])

    def handle_pi(self, data):
        self.tags.append(["?", [["data", data]]])

    def unknown_decl(self, data):
        self.tags.append(["![", [["data", data]]])


for line in sys.stdin:
    parser = Structure()
    parser.feed(json.loads(line))
    parser.close()
    print(json.dumps({"tags": parser.tags, "text": "".join(parser.text)}), flush=True)

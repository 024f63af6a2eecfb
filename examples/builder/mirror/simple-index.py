"""simple-index.py ROOT: a PEP 503 simple index (ROOT/simple/<project>/index.html) over the wheels in ROOT/files."""
import hashlib
import html
import os
import re
import sys

root = sys.argv[1]
projects = {}
for f in sorted(os.listdir(os.path.join(root, "files"))):
    name = re.sub(r"[-_.]+", "-", f.split("-")[0]).lower()
    projects.setdefault(name, []).append(f)
os.makedirs(os.path.join(root, "simple"), exist_ok=True)
with open(os.path.join(root, "simple", "index.html"), "w") as idx:
    idx.write("<!DOCTYPE html>\n<html><body>\n")
    for name, files in sorted(projects.items()):
        idx.write('<a href="%s/">%s</a>\n' % (name, name))
        os.makedirs(os.path.join(root, "simple", name), exist_ok=True)
        with open(os.path.join(root, "simple", name, "index.html"), "w") as page:
            page.write("<!DOCTYPE html>\n<html><body>\n")
            for f in files:
                digest = hashlib.sha256(open(os.path.join(root, "files", f), "rb").read()).hexdigest()
                page.write('<a href="../../files/%s#sha256=%s">%s</a>\n' % (html.escape(f), digest, html.escape(f)))
            page.write("</body></html>\n")
    idx.write("</body></html>\n")

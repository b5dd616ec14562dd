#!/usr/bin/env python3
"""The layout's figures at a commit (default: the work tree): files and lines by folder,
the largest files, test binaries, and how the crate's top-level modules import each
other — which imports run "up" from the shared core into a backend or an API, and which
modules import each other in a circle. `python3 tests/layout_figures.py [COMMIT]`."""

import os
import re
import subprocess
import sys
from collections import defaultdict

commit = sys.argv[1] if len(sys.argv) > 1 else None
root = subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True, text=True,
                      check=True).stdout.strip()


def files():
    args = ['git', 'ls-tree', '-r', '--name-only', commit] if commit else ['git', 'ls-files']
    names = subprocess.run(args, cwd=root, capture_output=True, text=True, check=True).stdout.split()
    if commit is None:
        # The work tree, new files included.
        names += subprocess.run(['git', 'ls-files', '--others', '--exclude-standard'], cwd=root,
                                capture_output=True, text=True, check=True).stdout.split()
    return sorted(name for name in set(names) if commit or os.path.exists(f'{root}/{name}'))


def read(name):
    if commit:
        return subprocess.run(['git', 'show', f'{commit}:{name}'], cwd=root, capture_output=True,
                              text=True).stdout
    with open(f'{root}/{name}', encoding='utf-8') as file:
        return file.read()


code = [name for name in files() if name.endswith(('.rs', '.js', '.mjs', '.sh', '.go'))
        and not name.startswith(('www/pkg/', 'target/')) and '/node_modules/' not in name]
lines = {name: read(name).count('\n') for name in code}

print('files and lines by folder (Rust, JavaScript, shell, Go):')
folders = defaultdict(lambda: [0, 0])
for name, count in lines.items():
    parts = name.split('/')
    folder = '/'.join(parts[:2]) if len(parts) > 2 else parts[0] + '/'
    folders[folder][0] += 1
    folders[folder][1] += count
for folder, (count, total) in sorted(folders.items()):
    print(f'  {folder:32} {count:3} files {total:6} lines')

print('the largest files:')
for name, count in sorted(lines.items(), key=lambda item: -item[1])[:8]:
    print(f'  {count:5}  {name}')

binaries = [name for name in code if re.fullmatch(r'tests/[^/]+\.rs|tests/[^/]+/main\.rs', name)]
print(f'integration test binaries: {len(binaries)} ({", ".join(sorted(binaries))})')

# Top-level modules of the crate and the `crate::x` paths each one names.
backends = {'native', 'wasm', 'js_api', 'layer'}
edges = defaultdict(set)
for name in code:
    if not name.startswith('src/') or not name.endswith('.rs'):
        continue
    module = name[4:].split('/')[0].removesuffix('.rs')
    if module in ('lib', 'main'):
        continue
    for used in set(re.findall(r'crate::(\w+)', read(name))):
        if used != module:
            edges[module].add(used)
up = sorted(f'{module} -> {used}' for module, uses in edges.items() if module not in backends
            and module != 'platform' for used in uses if used in backends)
print(f'imports from the shared core into a backend or API: {len(up)} {up}')
through = sorted(module for module, uses in edges.items() if 'platform' in uses
                 and module not in backends)
print(f'shared modules that reach the backend through crate::platform: {len(through)} {through}')
circles = sorted({tuple(sorted((a, b))) for a, uses in edges.items() for b in uses
                  if a in edges.get(b, ())})
print(f'top-level modules that import each other: {len(circles)} {circles}')

#!/usr/bin/env python3
"""Fails if the files of src/ import each other in a circle.

An edge is a `use` (or a `crate::`/`super::` path) from one file's module to
another's. A module root's `pub use` re-exports of its own children are its
facade, not imports, and are left out. Prints each circle with its edges.
"""
import os, re, sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
files={}
for d,_,fs in os.walk('src'):
    for f in fs:
        if f.endswith('.rs'): files[os.path.join(d,f)]=open(os.path.join(d,f)).read()
def modpath(p):
    parts=p[len('src/'):-3].split('/')
    if parts[-1] in ('mod','lib'): parts=parts[:-1]
    return tuple(parts)
mods={modpath(p) for p in files}
def expand(tree):
    # expand a use tree string into list of paths
    tree=tree.strip()
    m=re.match(r'^([\w:]*?)::\{(.*)\}$', tree, re.S)
    if m:
        pre=m.group(1); body=m.group(2); out=[]
        depth=0; cur=''
        for ch in body:
            if ch=='{': depth+=1
            if ch=='}': depth-=1
            if ch==',' and depth==0: out.append(cur); cur=''
            else: cur+=ch
        out.append(cur)
        res=[]
        for o in out:
            o=o.strip()
            if not o: continue
            for e in expand(o): res.append(pre+'::'+e if e!='self' else pre)
        return res
    return [tree.split(' as ')[0].strip()]
def resolve(cur, segs):
    if segs[0]=='crate': base=(); segs=segs[1:]
    elif segs[0]=='super':
        base=cur
        while segs and segs[0]=='super': base=base[:-1]; segs=segs[1:]
    elif segs[0]=='self': base=cur; segs=segs[1:]
    elif cur+(segs[0],) in mods: base=cur
    else: return None
    best=None
    for i in range(len(segs)+1):
        t=base+tuple(segs[:i])
        if t in mods: best=t
    return best
edges={}
for p,src in files.items():
    cur=modpath(p); deps=set()
    code=re.sub(r'//[^\n]*','',src)
    for m in re.finditer(r"(?<!pub )(?<!pub\(crate\) )\buse\s+([^;]+);", code):
        for path in expand(m.group(1)):
            t=resolve(cur,path.split('::'))
            if t is not None and t!=cur: deps.add(t)
    for m in re.finditer(r'\b((?:crate|super)(?:::\w+)+)', code):
        t=resolve(cur,m.group(1).split('::'))
        if t is not None and t!=cur: deps.add(t)
    edges[cur]=deps
idx={};low={};st=[];on=set();res=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges.get(v,()):
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: res.append(comp)
for v in list(edges):
    if v not in idx: sc(v)
for comp in res:
    names=sorted('::'.join(x) or 'lib' for x in comp)
    print('import circle among', len(names), 'modules:', ', '.join(names))
    cs=set(comp)
    for v in comp:
        print('   ', '::'.join(v) or 'lib','->', ', '.join(sorted('::'.join(w) or 'lib' for w in edges[v] if w in cs)))
if res:
    sys.exit(1)
print('no import circle among', len(edges), 'files')

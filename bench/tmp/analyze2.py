import json,sys,collections,re,bisect
prof,bundle=sys.argv[1],sys.argv[2]
lines=open(bundle).read().split('\n')
marks=[(i,l.split('"')[1]) for i,l in enumerate(lines) if l.startswith('/***/ "')]
starts=[m[0] for m in marks]
def mod(line):
    k=bisect.bisect_right(starts,line)-1
    if k<0: return '(entry)'
    name=marks[k][1]
    m=re.search(r'node_modules/((@[^/]+/)?[^/]+)',name)
    return m.group(1) if m else name
p=json.load(open(prof))
nodes={n['id']:n for n in p['nodes']}
parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
dt=collections.Counter()
for s,d in zip(p['samples'],p['timeDeltas']): dt[s]+=d
self_by=collections.Counter(); incl_req=0; incl_by_top=collections.Counter()
for nid,t in dt.items():
    cf=nodes[nid]['callFrame']
    if 'workflow-bundle' in cf['url']:
        self_by[mod(cf['lineNumber'])]+=t/1000
    # walk ancestors: is it under __webpack_require__ (module init)?
    x=nid; under=False
    while x in parent:
        f=nodes[x]['callFrame']
        if f['functionName']=='__webpack_require__' and 'workflow-bundle' in f['url']: under=True;break
        x=parent[x]
    if under: incl_req+=t/1000
print('bundle self time by module (ms):')
for k,v in self_by.most_common(12): print('  %-60s %7.0f'%(k,v))
print('inclusive time under __webpack_require__ (module initialisation):',round(incl_req),'ms')
